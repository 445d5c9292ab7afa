"""The demo GHT's continuity plans: the three PCRAs CaRE D2 asks for (a care service, the most
critical administrative process, a medico-technical platform), approved by the direction, the
default reflex sheets and the crisis directory, so that a newcomer sees a complete binder.

Phone numbers are in the ranges ARCEP reserves for fiction (01 99 00 xx xx, 06 39 98 xx xx);
the e-mail addresses are on example domains.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from pcra.inventory.models import Node
from pcra.organizations.models import Organization
from pcra.plans import services
from pcra.plans.models import Contact, ContinuityPlan

#: (key, name, function, crisis role, work phone, mobile, out-of-band phone, alerted by)
CONTACTS = [
    ("dg", "Claire Mercier", "Directrice générale du GHT", "Directrice de crise",
     "01 99 00 10 01", "06 39 98 10 01", "06 39 98 90 01", None),
    ("garde", "Direction de garde", "Administrateur de garde (astreinte)",
     "Directeur de crise suppléant", "01 99 00 10 00", "06 39 98 10 00", "01 99 00 99 00", "dg"),
    ("dsi", "Marc Delorme", "Directeur des systèmes d'information", "Responsable de la reprise "
     "informatique", "01 99 00 10 20", "06 39 98 10 20", "06 39 98 90 20", "dg"),
    ("rssi", "Nadia Benhamou", "RSSI du GHT", "Sécurité, liens CERT Santé et ANSSI",
     "01 99 00 10 21", "06 39 98 10 21", "06 39 98 90 21", "dsi"),
    ("dsoins", "Hélène Rigaud", "Directrice des soins", "Coordination des modes dégradés",
     "01 99 00 10 30", "06 39 98 10 30", "06 39 98 90 30", "dg"),
    ("com", "Julien Faure", "Chargé de communication", "Communication", "01 99 00 10 40",
     "06 39 98 10 40", "06 39 98 90 40", "dg"),
    ("secretariat", "Sophie Arnaud", "Assistante de direction", "Main courante",
     "01 99 00 10 41", "06 39 98 10 41", "", "garde"),
    ("astreinte-si", "Astreinte informatique", "Administrateur système d'astreinte", "",
     "01 99 00 10 22", "06 39 98 10 22", "01 99 00 99 22", "dsi"),
    ("cadre-urg", "Nathalie Perrin", "Cadre de santé des urgences", "", "01 99 00 20 10",
     "06 39 98 20 10", "", "dsoins"),
    ("bio", "Dr Émilie Laurent", "Biologiste responsable du laboratoire", "", "01 99 00 20 30",
     "06 39 98 20 30", "", "dsoins"),
    ("fact", "Sylvie Lambert", "Responsable des admissions et de la facturation", "",
     "01 99 00 20 40", "06 39 98 20 40", "", "garde"),
]

PLANS = [
    {
        "code": "pcra-urgences",
        "title": "PCRA – Urgences (SI indisponible)",
        "activities": ["URG", "URG-LRM"],
        "establishments": ["CH-MCS-PAS", "CH-LRM-ET"],
        "scenarios": ["si_indisponible", "personnel"],
        "manager": "Dr Hélène Carvalho, cheffe de service des urgences",
        "contacts": ["cadre-urg", "dsoins", "garde", "astreinte-si"],
        "trigger_criteria": "DPI, prescription ou gestion administrative des malades (GAM) "
                            "inaccessibles plus de 15 minutes, ou alerte de cyberattaque "
                            "transmise par la direction de garde.",
        "trigger_authority": "Le médecin senior des urgences déclenche le mode dégradé ; à "
                             "défaut le cadre de santé de garde. Le retour à la normale est "
                             "décidé par la cellule de crise, sur avis de la DSI.",
        "resources": "Classeur de crise des urgences (bureau du cadre, armoire rouge) : "
                     "dossiers d'urgence papier numérotés, bons de laboratoire et d'imagerie, "
                     "étiquettes d'identité pré-imprimées, liste des numéros de secours. "
                     "Deux téléphones mobiles de crise chargés. Contrôle mensuel par le cadre.",
        "communication": "Le cadre informe l'accueil, le SAMU (Centre 15) et les services "
                         "d'hospitalisation ; la cellule de crise informe l'ARS et les "
                         "établissements voisins en cas de délestage.",
        "return_to_normal": "Les dossiers papier du mode dégradé sont ressaisis dans le DPI "
                            "dans les 48 h, par ordre d'arrivée ; l'identité de chaque "
                            "patient est contrôlée par l'identitovigilance.",
        "steps": [
            ("degraded", "T+0", "Médecin senior", "Déclarer le mode dégradé et prévenir le "
             "cadre de garde et la direction de garde.", "Urgences", ""),
            ("degraded", "T+10 min", "Cadre de santé", "Sortir le classeur de crise et "
             "distribuer les dossiers papier numérotés à l'accueil et aux box.",
             "Bureau du cadre", "Armoire rouge"),
            ("degraded", "T+15 min", "IAO (accueil)", "Enregistrer chaque arrivée sur le "
             "registre papier avec une étiquette d'identité pré-imprimée.", "Accueil",
             "Registre numéroté"),
            ("degraded", "T+15 min", "Médecins", "Prescrire sur papier ; demander examens de "
             "biologie et d'imagerie sur bons papier portés par coursier.", "Box", ""),
            ("degraded", "T+30 min", "Cadre de santé", "Organiser les coursiers vers le "
             "laboratoire, l'imagerie et la pharmacie.", "", "Un coursier par circuit"),
            ("degraded", "T+4 h", "Cellule de crise", "Décider un délestage vers les urgences "
             "voisines si l'attente dépasse 4 h.", "Salle de crise", ""),
            ("return", "Retour du DPI", "Cadre de santé", "Organiser la ressaisie des dossiers "
             "papier et les contrôles d'identité.", "Urgences", "Binôme IDE + secrétaire"),
            ("return", "Fin de ressaisie", "Médecin senior", "Clore le mode dégradé et archiver "
             "les dossiers papier.", "", ""),
        ],
    },
    {
        "code": "pcra-facturation",
        "title": "PCRA – Admissions, frais de séjour et facturation",
        "activities": ["ADM-FACT"],
        "establishments": ["CH-MCS-PAS", "CH-MCS-TIL", "CH-LRM-ET"],
        "scenarios": ["si_indisponible", "fournisseur"],
        "manager": "Sylvie Lambert, responsable des admissions et de la facturation",
        "contacts": ["fact", "garde"],
        "trigger_criteria": "GAM ou logiciel de facturation indisponibles plus de 4 h, ou "
                            "perte du lien avec l'éditeur.",
        "trigger_authority": "La responsable des admissions déclenche ; la direction des "
                             "finances décide le retour à la normale.",
        "resources": "Fiches d'admission papier, registre des entrées numéroté, tampons de "
                     "service, liste imprimée des mutuelles conventionnées (mise à jour "
                     "chaque trimestre).",
        "communication": "Affichage aux accueils ; information des services de soins par la "
                         "direction de garde ; message à la trésorerie.",
        "return_to_normal": "Ressaisie des admissions dans la GAM sous 72 h, contrôle des "
                            "doublons d'identité, facturation différée reprise par ordre de "
                            "date de sortie.",
        "steps": [
            ("degraded", "T+0", "Responsable des admissions", "Basculer les accueils sur les "
             "fiches papier et le registre numéroté.", "Bureaux des entrées", ""),
            ("degraded", "T+1 h", "Agents d'accueil", "Relever l'identité complète et la "
             "couverture sociale sur la fiche papier.", "Accueils", "Pièce d'identité"),
            ("degraded", "J+1", "Direction des finances", "Suspendre la facturation et "
             "prévenir la trésorerie.", "", ""),
            ("return", "Retour de la GAM", "Agents d'accueil", "Ressaisir les admissions du "
             "registre, par ordre de numéro.", "", ""),
        ],
    },
    {
        "code": "pcra-laboratoire",
        "title": "PCRA – Laboratoire de biologie médicale du GHT",
        "activities": ["LABO"],
        "establishments": ["CH-MCS-PAS", "CH-MCS-TIL", "CH-LRM-ET", "HP-RCB-ET"],
        "scenarios": ["si_indisponible", "fournisseur"],
        "manager": "Dr Émilie Laurent, biologiste responsable",
        "contacts": ["bio", "dsoins", "astreinte-si"],
        "trigger_criteria": "SIL ou middleware des automates indisponibles plus de 30 "
                            "minutes, ou résultats non transmis aux services.",
        "trigger_authority": "Le biologiste de garde déclenche et décide le retour à la "
                             "normale.",
        "resources": "Bons de demande papier, étiquettes manuelles, cahier de paillasse, "
                     "fiches de résultats pré-imprimées, liste des examens urgents "
                     "prioritaires.",
        "communication": "Le biologiste informe les urgences, la réanimation et le bloc ; "
                         "les résultats critiques sont téléphonés au prescripteur.",
        "return_to_normal": "Ressaisie des demandes et des résultats validés dans le SIL ; "
                            "contrôle des résultats critiques transmis par téléphone.",
        "steps": [
            ("degraded", "T+0", "Biologiste de garde", "Déclencher le mode dégradé et "
             "limiter l'activité aux examens urgents.", "Laboratoire", ""),
            ("degraded", "T+15 min", "Techniciens", "Passer les automates en saisie manuelle "
             "et étiqueter les tubes à la main.", "Plateau technique", "Cahier de paillasse"),
            ("degraded", "T+30 min", "Biologiste de garde", "Téléphoner les résultats critiques "
             "et porter les autres sur fiche papier.", "", "Mobile de crise"),
            ("return", "Retour du SIL", "Techniciens", "Ressaisir demandes et résultats, "
             "vérifiés par un biologiste.", "", ""),
        ],
    },
]


def seed_plans(top: Organization, *, nodes: dict[str, Node], orgs: dict[str, Organization],
               signer) -> dict:
    """Create the demo's directory, reflex sheets and plans when missing (by code or name)."""
    made = {"contacts": 0, "reflex_sheets": 0, "plans": 0}
    contacts: dict[str, Contact] = {}
    existing = {c.name: c for c in Contact.objects.filter(top=top)}
    for position, (key, name, function, role, phone, mobile, backup, caller) in enumerate(
            CONTACTS, start=1):
        contact = existing.get(name)
        if contact is None:
            contact = services.contact_create(
                top=top, organization=None, name=name, function=function, crisis_role=role,
                phone=phone, mobile=mobile, backup_phone=backup,
                email=f"{key}@ght-val-de-sauldre.example", position=position,
                alerted_by=contacts.get(caller) if caller else None)
            made["contacts"] += 1
        contacts[key] = contact
    made["reflex_sheets"] = len(services.reflex_defaults(top=top, language="fr"))
    known = set(ContinuityPlan.objects.filter(top=top).values_list("code", flat=True))
    review = timezone.localdate() + dt.timedelta(days=365)
    for item in PLANS:
        if item["code"] in known or any(code not in nodes for code in item["activities"]):
            continue
        plan = services.plan_create(
            top=top, organization=None, code=item["code"], title=item["title"],
            activities=[nodes[code] for code in item["activities"]],
            establishments=[orgs[code] for code in item["establishments"]],
            contacts=[contacts[key] for key in item["contacts"]],
            scenarios=item["scenarios"], manager=item["manager"],
            trigger_criteria=item["trigger_criteria"],
            trigger_authority=item["trigger_authority"], resources=item["resources"],
            communication=item["communication"], return_to_normal=item["return_to_normal"],
            review_due=review, change_summary="Première version, validée en comité de "
                                              "direction.")
        services.plan_set_steps(plan=plan, steps=[
            {"phase": phase, "when": when, "who": who, "action": action, "where": where,
             "how": how} for phase, when, who, action, where, how in item["steps"]])
        services.plan_submit(plan=plan, user=signer)
        services.plan_approve(plan=plan, user=signer)
        made["plans"] += 1
    return made
