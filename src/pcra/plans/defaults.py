"""The reflex sheets pcra ships as editable defaults (French, and English).

Sources: the reflexes of ANSSI / CERT-FR and CERT Santé for a cyberattack (isolate without
switching off, do not pay, preserve evidence, open the crisis cell and its log, declare to the
ARS / CERT Santé without delay, CNIL within 72 h, complaint within 72 h), and the usual degraded
procedures of hospitals (paper, printed lists, stand-alone phones, runners). They are a
starting point: each establishment adapts them (names, numbers, places) before approving its
binder.
"""

from __future__ import annotations

from django.utils.translation import get_language

_FR = [
    {
        "code": "rancongiciel-premiere-heure",
        "title": "Première heure d'une attaque par rançongiciel",
        "situation": "Écrans chiffrés, message de rançon, fichiers renommés, comptes bloqués, "
                     "alerte de l'antivirus ou du SOC : toute suspicion d'attaque en cours.",
        "steps": [
            ("T+0", "Toute personne qui constate", "Ne pas éteindre le poste. Débrancher le "
             "câble réseau (ou couper le Wi-Fi) et prévenir immédiatement la DSI / "
             "l'administrateur de garde."),
            ("T+0", "Toute personne qui constate", "Noter l'heure, ce qui est affiché et "
             "photographier l'écran (téléphone personnel) : ce sont des preuves."),
            ("T+15 min", "Administrateur de garde", "Qualifier l'incident, isoler les segments "
             "touchés (coupure des flux inter-sites et Internet si la propagation est "
             "probable), sans éteindre les serveurs."),
            ("T+15 min", "Administrateur de garde", "Isoler l'infrastructure de sauvegarde "
             "(couper ses liens avec la production) et suspendre les purges."),
            ("T+30 min", "Directeur de garde", "Ouvrir la cellule de crise et la main courante "
             "(heure, décision, qui) ; convoquer le RSSI, le DSI, la direction des soins, la "
             "communication."),
            ("T+30 min", "Directeur de garde", "Déclencher les modes dégradés (PCRA) des "
             "services de soins et des plateaux techniques ; faire sortir les classeurs de "
             "crise papier."),
            ("T+1 h", "RSSI", "Appeler le CERT Santé (ANS) et déclarer l'incident sur le "
             "portail des signalements (ARS) sans délai ; ANSSI si l'établissement est "
             "OSE/OIV."),
            ("T+1 h", "Directeur de crise", "Ne pas payer la rançon ; ne pas prendre contact "
             "avec les attaquants."),
            ("Avant H+72", "DPO / direction", "Notifier la CNIL dans les 72 h si des données "
             "personnelles peuvent être touchées ; déposer plainte dans les 72 h (condition de "
             "l'assurance cyber)."),
        ],
    },
    {
        "code": "perte-dpi",
        "title": "Perte du dossier patient informatisé (DPI)",
        "situation": "Le DPI, la prescription ou le plan de soins sont inaccessibles pour "
                     "plus de 15 minutes, ou leurs données ne sont plus fiables.",
        "steps": [
            ("T+0", "Cadre de santé", "Vérifier que la panne est générale (autre poste, autre "
             "service) et appeler la hotline DSI."),
            ("T+15 min", "Cadre de santé", "Déclencher le mode dégradé du service : sortir le "
             "classeur de crise (dossiers papier, feuilles de prescription et de "
             "transmissions)."),
            ("T+15 min", "Cadre de santé", "Imprimer ou récupérer la dernière liste des patients "
             "et des traitements en cours (poste de secours, export de la nuit)."),
            ("T+30 min", "Médecins", "Prescrire sur papier (prescriptions datées, signées, "
             "identité complète du patient) ; la pharmacie dispense sur ordonnance papier."),
            ("En continu", "Infirmiers", "Tracer administrations et surveillances sur papier ; "
             "conserver chaque feuille dans le dossier du patient."),
            ("Au retour", "Cadre de santé", "Organiser la ressaisie des prescriptions en cours "
             "et des données du mode dégradé ; contrôler l'identité de chaque patient."),
        ],
    },
    {
        "code": "perte-telephonie",
        "title": "Perte de la téléphonie",
        "situation": "Plus de tonalité sur les postes fixes, DECT ou bips inopérants, "
                     "standard injoignable.",
        "steps": [
            ("T+0", "Standard", "Vérifier l'étendue de la panne et prévenir la DSI depuis une "
             "ligne de secours (ligne analogique, mobile)."),
            ("T+10 min", "Standard", "Activer les lignes de secours et le renvoi du numéro "
             "principal vers un mobile de crise."),
            ("T+15 min", "Cadres de garde", "Distribuer les téléphones mobiles de crise aux "
             "urgences, à la réanimation, au bloc et à la maternité ; afficher la liste des "
             "numéros de secours."),
            ("T+15 min", "Cadres de garde", "Mettre en place des coursiers entre les services "
             "et vers le laboratoire et la pharmacie."),
            ("T+30 min", "Directeur de garde", "Prévenir le SAMU, les partenaires et l'ARS des "
             "numéros de secours."),
        ],
    },
    {
        "code": "perte-reseau",
        "title": "Perte du réseau informatique",
        "situation": "Plus aucune application réseau accessible sur un ou plusieurs sites ; "
                     "liens inter-sites coupés.",
        "steps": [
            ("T+0", "Administrateur de garde", "Qualifier : panne, saturation ou attaque ? En "
             "cas de doute, appliquer la fiche rançongiciel."),
            ("T+15 min", "Administrateur réseau", "Identifier le cœur de réseau ou le lien en "
             "cause ; prévenir l'opérateur (numéro de support hors réseau)."),
            ("T+30 min", "Directeur de garde", "Déclencher les modes dégradés des services "
             "concernés (fiches DPI et téléphonie)."),
            ("T+1 h", "DSI", "Informer la cellule de crise de la durée estimée ; prioriser le "
             "rétablissement selon le plan de reprise informatique (PRI)."),
        ],
    },
    {
        "code": "ouverture-cellule-crise",
        "title": "Ouverture de la cellule de crise",
        "situation": "Toute crise qui dépasse un service : cyberattaque, panne majeure du SI, "
                     "perte d'un site.",
        "steps": [
            ("T+0", "Directeur de garde", "Décider l'ouverture de la cellule et convoquer ses "
             "membres par l'arbre d'appel (numéros hors SI)."),
            ("T+30 min", "Coordinateur", "Installer la salle de crise (hors réseau si "
             "nécessaire) : tableau, main courante papier, classeur de crise imprimé."),
            ("T+30 min", "Secrétariat de crise", "Tenir la main courante : heure, information, "
             "décision, qui en est chargé."),
            ("T+1 h", "Directeur de crise", "Faire un premier point de situation ; fixer le "
             "rythme des points (toutes les 2 h) ; désigner le porte-parole."),
            ("Chaque point", "Directeur de crise", "Suivre les modes dégradés, la reprise "
             "informatique et les obligations (ARS, CNIL, plainte)."),
        ],
    },
]

_EN = [
    {
        "code": "rancongiciel-premiere-heure",
        "title": "First hour of a ransomware attack",
        "situation": "Encrypted screens, a ransom note, renamed files, locked accounts, an "
                     "antivirus or SOC alert: any suspicion of an attack under way.",
        "steps": [
            ("T+0", "Whoever sees it", "Do not switch the computer off. Unplug the network "
             "cable (or turn off Wi-Fi) and call IT / the on-call administrator at once."),
            ("T+0", "Whoever sees it", "Write down the time and what is shown; photograph the "
             "screen (personal phone): this is evidence."),
            ("T+15 min", "On-call administrator", "Qualify the incident and isolate the "
             "affected segments (cut links between sites and to the internet if it may "
             "spread), without switching servers off."),
            ("T+15 min", "On-call administrator", "Isolate the backup infrastructure (cut its "
             "links with production) and suspend deletions."),
            ("T+30 min", "Director on call", "Open the crisis cell and its log (time, "
             "decision, who); call in the CISO, the IT director, nursing management and "
             "communication."),
            ("T+30 min", "Director on call", "Trigger the degraded modes (PCRA) of the care "
             "services and platforms; bring out the paper crisis binders."),
            ("T+1 h", "CISO", "Call CERT Santé (ANS) and report the incident on the national "
             "portal (ARS) without delay; ANSSI if the establishment is an OSE/OIV."),
            ("T+1 h", "Crisis director", "Do not pay the ransom; do not contact the "
             "attackers."),
            ("Within 72 h", "DPO / management", "Notify the CNIL within 72 h if personal data "
             "may be affected; file a complaint within 72 h (required by cyber insurance)."),
        ],
    },
    {
        "code": "perte-dpi",
        "title": "Loss of the electronic patient record",
        "situation": "The patient record, prescribing or the care plan are unavailable for "
                     "more than 15 minutes, or their data can no longer be trusted.",
        "steps": [
            ("T+0", "Head nurse", "Check that the failure is general (another computer, "
             "another ward) and call the IT help desk."),
            ("T+15 min", "Head nurse", "Trigger the ward's degraded mode: bring out the crisis "
             "binder (paper records, prescription and handover sheets)."),
            ("T+15 min", "Head nurse", "Print or fetch the latest list of patients and current "
             "treatments (backup workstation, nightly export)."),
            ("T+30 min", "Physicians", "Prescribe on paper (dated, signed, full patient "
             "identity); the pharmacy dispenses on paper prescriptions."),
            ("Throughout", "Nurses", "Record administrations and observations on paper; keep "
             "every sheet in the patient's file."),
            ("On return", "Head nurse", "Organise the re-entry of current prescriptions and of "
             "the degraded-mode data; check each patient's identity."),
        ],
    },
    {
        "code": "perte-telephonie",
        "title": "Loss of the phones",
        "situation": "No dial tone on desk phones, DECT or pagers down, switchboard "
                     "unreachable.",
        "steps": [
            ("T+0", "Switchboard", "Check how far the failure goes and call IT from a backup "
             "line (analogue line, mobile)."),
            ("T+10 min", "Switchboard", "Switch on the backup lines and forward the main "
             "number to a crisis mobile."),
            ("T+15 min", "Managers on call", "Hand out the crisis mobiles to the emergency "
             "department, intensive care, theatres and maternity; post the list of backup "
             "numbers."),
            ("T+15 min", "Managers on call", "Set up runners between wards and to the "
             "laboratory and pharmacy."),
            ("T+30 min", "Director on call", "Give the backup numbers to the SAMU, partners "
             "and the ARS."),
        ],
    },
    {
        "code": "perte-reseau",
        "title": "Loss of the network",
        "situation": "No networked application reachable on one or more sites; links "
                     "between sites down.",
        "steps": [
            ("T+0", "On-call administrator", "Qualify: failure, overload or attack? When in "
             "doubt, follow the ransomware sheet."),
            ("T+15 min", "Network administrator", "Find the core switch or link at fault; call "
             "the operator (support number outside the network)."),
            ("T+30 min", "Director on call", "Trigger the degraded modes of the services "
             "concerned (patient record and phone sheets)."),
            ("T+1 h", "IT director", "Tell the crisis cell how long it may last; prioritise "
             "according to the IT recovery plan (PRI)."),
        ],
    },
    {
        "code": "ouverture-cellule-crise",
        "title": "Opening the crisis cell",
        "situation": "Any crisis beyond one service: cyberattack, major IS failure, loss of a "
                     "site.",
        "steps": [
            ("T+0", "Director on call", "Decide to open the cell and call its members through "
             "the contact tree (numbers outside the IS)."),
            ("T+30 min", "Coordinator", "Set up the crisis room (off the network if needed): "
             "board, paper log, printed crisis binder."),
            ("T+30 min", "Crisis secretariat", "Keep the log: time, information, decision, "
             "who is in charge."),
            ("T+1 h", "Crisis director", "Hold a first situation update; set the rhythm of "
             "updates (every 2 h); name the spokesperson."),
            ("Each update", "Crisis director", "Follow the degraded modes, the IT recovery and "
             "the obligations (ARS, CNIL, complaint)."),
        ],
    },
]


def reflex_sheets(language: str | None = None) -> list[dict]:
    """The default sheets in ``language`` (the active language by default; French unless it
    is English): ``code``, ``title``, ``situation`` and ``steps`` (``when``, ``who``,
    ``action``)."""
    language = (language or get_language() or "fr")[:2]
    source = _EN if language == "en" else _FR
    return [{**sheet, "steps": [{"when": w, "who": who, "action": a}
                                for w, who, a in sheet["steps"]]} for sheet in source]
