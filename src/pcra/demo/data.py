"""The demo GHT: a fictional but realistic group of hospitals (every name here is invented).

« GHT Val de Sauldre »: the support hospital of Montclair-sur-Sauldre (an acute-care site and a
rehabilitation / nursing-home site, each with a server room), the hospital of Lormeaux-les-Bois
(its own small server room, dialysis) and the local hospital of Rochebrune-en-Sologne (no server
room, everything through a WAN link). The GHT's IT department runs two virtualisation clusters in
the two rooms of Montclair; some applications are SaaS or hosted by a certified health-data host.

The map is built so that the single points of failure are worth discussing: the interface
engine, the Lormeaux WAN link and UPS, the payroll SaaS supplier, a licence server… while the
regulation of the SAMU, the switchboard and general medicine at Montclair survive the loss of
any single component (redundant pairs across the two rooms).

The BIA (``_bias``) is a campaign in progress: critical care (emergencies, SAMU, intensive care,
maternity, blood depot) reaches a serious impact on patient safety within 1 h, the operating
theatre, the laboratory and imaging within 4 h, the pharmacy and day oncology within 24 h;
admissions and billing, purchasing and payroll hurt later, on the financial and legal criteria
(72 h to 1 week); support activities later still or never. Most BIAs are signed off by the
direction (``SIGNER``, a demo account that cannot log in), some are submitted or in draft
(imaging revises its signed-off BIA in a version 2), three activities have none yet; one BIA
campaign per legal entity, Lormeaux's past due. The declared DMIA of the SAMU (30 min), of
dialysis (24 h, shorter than the 72 h computed) and of payroll (5 days) come with their
justification.
"""

from __future__ import annotations

from pcra.demo.spec import (
    ACTIVITY,
    APPLICATION,
    COMPONENT,
    DRAFT,
    SIGNED_OFF,
    SUBMITTED,
    BiaSpec,
    BiaVersionSpec,
    CampaignSpec,
    EdgeSpec,
    GhtSpec,
    NodeSpec,
    OrgSpec,
    hours,
    levels_from,
)
from pcra.organizations.finess import with_check_digit

GHT_CODE = "GHT-VDS"
#: the demo account that signs the BIAs off (no usable password: it cannot log in)
SIGNER = {"username": "direction.demo", "first_name": "Direction générale",
          "last_name": "(démo)"}

# Recovery teams (who brings a component back, for the recovery schedule).
SYSTEM, NETWORK, APPS, DBA, BIOMED, FACILITIES, SUPPLIER = (
    "Système", "Réseau", "Applicatif", "Bases de données", "Biomédical", "Services techniques",
    "Fournisseur")

# Redundant pairs used by many nodes.
AD = ("ad", "AD-DC1", "AD-DC2")
AD_LRM = ("ad", "AD-DC1", "AD-DC2", "AD-DC3-LRM")
CORE = ("coeur", "NET-CORE-1", "NET-CORE-2")
INTERNET = ("internet", "NET-INET-1", "NET-INET-2")
FIREWALLS = ("pare-feu", "NET-FW-1", "NET-FW-2")
ORACLE = ("bdd", "DB-ORA-1", "DB-ORA-2")
SQL = ("bdd", "DB-SQL-1", "DB-SQL-2")
CLUSTERS = {"A": ("HV-CLU-A", "SITE-DC1"), "B": ("HV-CLU-B", "SITE-DC2"),
            "L": ("HV-LRM", "SITE-LRM")}


#: Declared restore estimates (hours) of components given none, by kind: orders of magnitude a
#: DSI would write before any restore test (a site or a supplier takes days, a VM hours).
DEFAULT_RESTORE_HOURS = {
    "serveur": 4, "vm": 2, "base_de_donnees": 6, "stockage": 12, "reseau": 4, "annuaire": 3,
    "hyperviseur": 6, "site": 72, "energie": 8, "saas": 24, "fournisseur": 48, "personnel": 2,
    "autre": 4,
}


class Builder:
    """Collects the definitions with a compact vocabulary."""

    def __init__(self, ght: OrgSpec):
        self.spec = GhtSpec(ght=ght)

    # organizations ---------------------------------------------------------------------------
    def org(self, code, name, kind, parent, finess8, weight):
        self.spec.organizations.append(
            OrgSpec(code=code, name=name, kind=kind, parent=parent,
                    finess=with_check_digit(finess8), weight=weight))

    # nodes -----------------------------------------------------------------------------------
    def _node(self, code, node_type, name, org, **fields):
        self.spec.nodes.append(NodeSpec(code=code, node_type=node_type, name=name,
                                        organization=org, fields=fields))

    def activity(self, code, name, org, kind, owner, pdma, *, dmia=None, reason="",
                 description=""):
        self._node(code, ACTIVITY, name, org, activity_kind=kind, owner=owner,
                   pdma_hours=hours(pdma), declared_dmia_hours=hours(dmia),
                   declared_dmia_reason=reason, description=description)

    def application(self, code, name, vendor, hosting, restore, *, org=None, description=""):
        self._node(code, APPLICATION, name, org, vendor=vendor, hosting=hosting,
                   restore_hours_estimate=hours(restore), description=description)

    def component(self, code, name, kind, *, site="", team="", restore=None, org=None,
                  description=""):
        if restore is None:
            restore = DEFAULT_RESTORE_HOURS.get(kind)
        self._node(code, COMPONENT, name, org, component_kind=kind, site=site,
                   recovery_team=team, restore_hours_estimate=hours(restore),
                   description=description)

    def vm(self, code, name, cluster, *, restore=2, org=None, team=SYSTEM):
        hv, site = CLUSTERS[cluster]
        self.component(code, name, "vm", site=site, team=team, restore=restore, org=org)
        self.needs(code, hv)

    def database(self, code, name, host, *, site="SITE-DC1", restore=6, org=None):
        self.component(code, name, "base_de_donnees", site=site, team=DBA, restore=restore,
                       org=org)
        self.needs(code, host)

    def saas(self, code, name, supplier, *, restore=None):
        self.component(code, name, "saas", team=SUPPLIER, restore=restore)
        self.needs(code, supplier, INTERNET)

    # BIA -------------------------------------------------------------------------------------
    def bia(self, code, *versions):
        """The BIA history of an activity: ``(status, levels)`` pairs, oldest first, levels
        written as in :func:`pcra.demo.spec.levels_from`."""
        self.spec.bias.append(BiaSpec(code, [BiaVersionSpec(status, levels_from(levels))
                                             for status, levels in versions]))

    def campaign(self, org, name, starts_in_days, due_in_days):
        self.spec.campaigns.append(CampaignSpec(org, name, starts_in_days, due_in_days))

    # edges -----------------------------------------------------------------------------------
    def needs(self, source, *targets):
        """Edges from ``source``. A target is a code, ``(code, autonomy_hours)``, or a
        redundancy group ``(group, code, code, …)`` whose codes are alternatives."""
        for target in targets:
            if isinstance(target, tuple) and len(target) == 2 and not isinstance(
                    target[1], str):
                code, autonomy = target
                self.spec.edges.append(EdgeSpec(source, code, hours(autonomy)))
            elif isinstance(target, tuple):
                group, *codes = target
                for code in codes:
                    self.spec.edges.append(EdgeSpec(source, code, None, group))
            else:
                self.spec.edges.append(EdgeSpec(source, target))

    def app_on(self, app, cluster, *, vms=1, db=None, ad=AD, restore=2, extra=()):
        """Deploy ``app`` on ``vms`` virtual machines (a pair spreads over both clusters);
        the application team restores them."""
        name = next(n.name for n in self.spec.nodes if n.code == app)
        if vms == 1:
            self.vm(f"VM-{app}", f"VM srv-{app.lower()}-01 ({name})", cluster, restore=restore,
                    team=APPS)
            self.needs(app, f"VM-{app}")
        else:
            codes = [f"VM-{app}-{i}" for i in (1, 2)]
            for i, (code, where) in enumerate(zip(codes, "AB", strict=True), start=1):
                self.vm(code, f"VM srv-{app.lower()}-0{i} ({name})", where, restore=restore,
                        team=APPS)
            self.needs(app, ("app", *codes))
        if db is not None:
            self.needs(app, db)
        if ad:
            self.needs(app, ad)
        self.needs(app, *extra)


def build() -> GhtSpec:
    b = Builder(OrgSpec(code=GHT_CODE, name="GHT Val de Sauldre", kind="GHT", weight=1095))
    _organizations(b)
    _infrastructure(b)
    _applications(b)
    _activities(b)
    _bias(b)
    return b.spec


def _organizations(b: Builder) -> None:
    b.org("CH-MCS", "Centre hospitalier de Montclair-sur-Sauldre", "EJ", GHT_CODE, "41078010",
          745)
    b.org("CH-MCS-PAS", "CH de Montclair-sur-Sauldre – site Pasteur (MCO)", "ET", "CH-MCS",
          "41078020", 535)
    b.org("CH-MCS-TIL", "CH de Montclair-sur-Sauldre – site des Tilleuls (SMR, EHPAD)", "ET",
          "CH-MCS", "41078030", 210)
    b.org("CH-LRM", "Centre hospitalier de Lormeaux-les-Bois", "EJ", GHT_CODE, "41078110", 265)
    b.org("CH-LRM-ET", "CH de Lormeaux-les-Bois", "ET", "CH-LRM", "41078120", 265)
    b.org("HP-RCB", "Hôpital de proximité de Rochebrune-en-Sologne", "EJ", GHT_CODE,
          "41078210", 85)
    b.org("HP-RCB-ET", "Hôpital de proximité de Rochebrune-en-Sologne", "ET", "HP-RCB",
          "41078220", 85)


def _infrastructure(b: Builder) -> None:
    c, lrm = b.component, "CH-LRM-ET"
    # Suppliers (their loss is the "critical supplier unavailable" scenario).
    for code, name in [
        ("SUP-ENERGIE", "Distributeur d'électricité (réseau public)"),
        ("SUP-OPERATEUR-1", "Télécom Centre Réseaux (opérateur principal)"),
        ("SUP-OPERATEUR-2", "Ondes Ligériennes Télécom (opérateur de secours)"),
        ("SUP-VALCLOUD", "Valcloud Santé (hébergeur certifié HDS)"),
        ("SUP-PAYSOFT", "Paysoft Services (paie et RH en SaaS)"),
        ("SUP-ANS", "Téléservices nationaux (INSi, DMP)"),
        ("SUP-MSS", "Mailsanté Centre (opérateur MSSanté)"),
        ("SUP-EFS", "Établissement français du sang – site régional"),
        ("SUP-AGENDIA", "Agendia (prise de rendez-vous en ligne)"),
        ("SUP-TELESANTE", "Télésanté Centre (plateforme régionale)"),
        ("SUP-AIFE", "Chorus Pro (État)"),
        ("SUP-CYBERVEILLE", "Cyberveille (EDR et filtrage de messagerie)"),
        ("SUP-QUALIDOC", "Qualidoc (gestion documentaire)"),
        ("SUP-LOGIFLUX", "Logiflux (brancardage)"),
        ("SUP-SOINSPLUS", "Soins+ Médico-social (dossier EHPAD)"),
        ("SUP-MARCHES", "Marchés Publics Centre (plateforme de dématérialisation)"),
    ]:
        c(code, name, "fournisseur", team=SUPPLIER)
    # People (the "staff unavailable" scenario).
    c("PERS-UPC", "Préparateurs habilités aux chimiothérapies (3 agents)", "personnel",
      org="CH-MCS-PAS")
    c("PERS-PAIE", "Gestionnaires de paie (2 agents)", "personnel", org="CH-MCS")
    c("PERS-IDV", "Cellule d'identitovigilance du GHT", "personnel", org="CH-MCS")
    c("PERS-STER", "Agents de stérilisation qualifiés", "personnel", org="CH-MCS-PAS")
    c("PERS-ASTREINTE-SI", "Astreinte informatique du GHT", "personnel")

    # Sites, power, cooling.
    c("SITE-DC1", "Salle informatique principale – site Pasteur (bâtiment B)", "site",
      team=FACILITIES, restore=168)
    c("SITE-DC2", "Salle informatique secondaire – site des Tilleuls", "site", team=FACILITIES,
      restore=168)
    c("SITE-LRM", "Salle informatique – CH de Lormeaux-les-Bois", "site", team=FACILITIES,
      restore=168, org=lrm)
    c("SITE-HDS", "Datacenter Valcloud Santé (Saint-Loup-des-Vignes)", "site", team=SUPPLIER)
    c("PWR-DC1-ONDULEUR", "Arrivée électrique et onduleurs – salle principale", "energie",
      site="SITE-DC1", team=FACILITIES, restore=12)
    c("PWR-DC1-GE", "Groupe électrogène – site Pasteur", "energie", site="SITE-DC1",
      team=FACILITIES, restore=24)
    c("PWR-DC2-ONDULEUR", "Onduleur – salle secondaire (sans groupe électrogène)", "energie",
      site="SITE-DC2", team=FACILITIES, restore=12)
    c("PWR-LRM-ONDULEUR", "Onduleur – salle de Lormeaux", "energie", site="SITE-LRM",
      team=FACILITIES, restore=12, org=lrm)
    c("CLIM-DC1-1", "Climatisation de la salle principale – groupe 1", "autre", site="SITE-DC1",
      team=FACILITIES, restore=24)
    c("CLIM-DC1-2", "Climatisation de la salle principale – groupe 2", "autre", site="SITE-DC1",
      team=FACILITIES, restore=24)
    b.needs("SITE-DC1", ("energie", "PWR-DC1-ONDULEUR", "PWR-DC1-GE"),
            ("clim", "CLIM-DC1-1", "CLIM-DC1-2"))
    b.needs("SITE-DC2", "PWR-DC2-ONDULEUR")
    b.needs("SITE-LRM", "PWR-LRM-ONDULEUR")
    b.needs("SITE-HDS", "SUP-VALCLOUD")
    for ups in ("PWR-DC1-ONDULEUR", "PWR-DC2-ONDULEUR", "PWR-LRM-ONDULEUR"):
        b.needs(ups, "SUP-ENERGIE")

    # Network.
    net = [
        ("NET-CORE-1", "Cœur de réseau – commutateur 1 (salle principale)", "SITE-DC1"),
        ("NET-CORE-2", "Cœur de réseau – commutateur 2 (salle secondaire)", "SITE-DC2"),
        ("NET-FIBRE-NORD", "Fibre noire inter-sites Pasteur ↔ Tilleuls (tracé nord)", ""),
        ("NET-FIBRE-SUD", "Fibre noire inter-sites Pasteur ↔ Tilleuls (tracé sud)", ""),
        ("NET-FW-1", "Pare-feu périmétrique – nœud 1", "SITE-DC1"),
        ("NET-FW-2", "Pare-feu périmétrique – nœud 2", "SITE-DC2"),
        ("NET-INET-1", "Accès Internet principal (fibre, opérateur principal)", "SITE-DC1"),
        ("NET-INET-2", "Accès Internet de secours (opérateur de secours)", "SITE-DC2"),
        ("NET-WAN-LRM", "Lien WAN GHT Montclair ↔ Lormeaux", ""),
        ("NET-WAN-RCB", "Lien WAN GHT Montclair ↔ Rochebrune", ""),
        ("NET-LIEN-HDS", "Lien MPLS vers l'hébergeur HDS", ""),
        ("NET-DIST-URG", "Commutateur de distribution – bâtiment des urgences", "SITE-DC1"),
        ("NET-WIFI", "Contrôleur Wi-Fi soignant", "SITE-DC1"),
        ("NET-DECT-BASES", "Bornes DECT et serveur de mobilité", "SITE-DC1"),
        ("NET-SIP-TRUNK", "Trunk SIP (opérateur principal)", "SITE-DC1"),
        ("NET-T2-SECOURS", "Liens T2 de secours (opérateur de secours)", "SITE-DC2"),
        ("NET-LIGNES-SECOURS", "Lignes analogiques de secours et postes autonomes", ""),
    ]
    for code, name, site in net:
        c(code, name, "reseau", site=site, team=NETWORK, restore=4)
    c("NET-LRM-CORE", "Cœur de réseau – Lormeaux", "reseau", site="SITE-LRM", team=NETWORK,
      restore=6, org=lrm)
    c("NET-RCB-SW", "Commutateur d'accès – Rochebrune", "reseau", team=NETWORK, restore=6,
      org="HP-RCB-ET")
    b.needs("NET-CORE-1", "SITE-DC1")
    b.needs("NET-CORE-2", "SITE-DC2", ("inter-sites", "NET-FIBRE-NORD", "NET-FIBRE-SUD"))
    b.needs("NET-FW-1", "SITE-DC1")
    b.needs("NET-FW-2", "SITE-DC2")
    b.needs("NET-INET-1", "SUP-OPERATEUR-1", FIREWALLS)
    b.needs("NET-INET-2", "SUP-OPERATEUR-2", FIREWALLS)
    b.needs("NET-WAN-LRM", "SUP-OPERATEUR-1", CORE)
    b.needs("NET-WAN-RCB", "SUP-OPERATEUR-1", CORE)
    b.needs("NET-LIEN-HDS", "SUP-OPERATEUR-2", CORE)
    b.needs("NET-DIST-URG", CORE)
    b.needs("NET-WIFI", "SITE-DC1", CORE)
    b.needs("NET-DECT-BASES", "SITE-DC1", CORE)
    b.needs("NET-SIP-TRUNK", "SUP-OPERATEUR-1", CORE)
    b.needs("NET-T2-SECOURS", "SUP-OPERATEUR-2", "SITE-DC2")
    b.needs("NET-LIGNES-SECOURS", "SUP-OPERATEUR-2")
    b.needs("NET-LRM-CORE", "SITE-LRM")
    b.needs("NET-RCB-SW", "NET-WAN-RCB")

    # Storage.
    c("SAN-A", "Baie de stockage SAN – salle principale", "stockage", site="SITE-DC1",
      team=SYSTEM, restore=24)
    c("SAN-B", "Baie de stockage SAN – salle secondaire", "stockage", site="SITE-DC2",
      team=SYSTEM, restore=24)
    c("NAS-LRM", "NAS de virtualisation – Lormeaux", "stockage", site="SITE-LRM", team=SYSTEM,
      restore=12, org=lrm)
    c("STO-PACS-ARCH", "Archive long terme du PACS (stockage objet)", "stockage",
      site="SITE-DC2", team=SYSTEM, restore=72)
    c("STO-BKP-DISK", "Dépôt de sauvegarde sur disques", "stockage", site="SITE-DC2",
      team=SYSTEM, restore=12)
    c("STO-BKP-TAPE", "Bibliothèque de bandes LTO (copie hors ligne)", "stockage",
      site="SITE-DC2", team=SYSTEM, restore=12)
    c("STO-BKP-IMMU", "Stockage objet immuable chez l'hébergeur HDS", "stockage",
      site="SITE-HDS", team=SUPPLIER, restore=12)
    b.needs("SAN-A", "SITE-DC1")
    b.needs("SAN-B", "SITE-DC2")
    b.needs("NAS-LRM", "SITE-LRM")
    b.needs("STO-PACS-ARCH", "SITE-DC2", CORE)
    b.needs("STO-BKP-DISK", "SITE-DC2")
    b.needs("STO-BKP-TAPE", "SITE-DC2")
    b.needs("STO-BKP-IMMU", "SITE-HDS", "NET-LIEN-HDS")

    # Hypervisors and their hosts.
    for host, site in [("ESX-A1", "SITE-DC1"), ("ESX-A2", "SITE-DC1"), ("ESX-A3", "SITE-DC1"),
                       ("ESX-B1", "SITE-DC2"), ("ESX-B2", "SITE-DC2")]:
        c(host, f"Hôte de virtualisation {host.lower()}", "serveur", site=site, team=SYSTEM,
          restore=8)
        b.needs(host, site, CORE)
    c("ESX-LRM1", "Hôte de virtualisation esx-lrm1 (unique)", "serveur", site="SITE-LRM",
      team=SYSTEM, restore=8, org=lrm)
    b.needs("ESX-LRM1", "SITE-LRM", "NET-LRM-CORE")
    c("HV-CLU-A", "Cluster de virtualisation A (salle principale)", "hyperviseur",
      site="SITE-DC1", team=SYSTEM, restore=8)
    c("HV-CLU-B", "Cluster de virtualisation B (salle secondaire)", "hyperviseur",
      site="SITE-DC2", team=SYSTEM, restore=8)
    c("HV-LRM", "Hyperviseur de Lormeaux", "hyperviseur", site="SITE-LRM", team=SYSTEM,
      restore=8, org=lrm)
    b.needs("HV-CLU-A", ("hotes", "ESX-A1", "ESX-A2", "ESX-A3"), "SAN-A")
    b.needs("HV-CLU-B", ("hotes", "ESX-B1", "ESX-B2"), "SAN-B")
    b.needs("HV-LRM", "ESX-LRM1", "NAS-LRM")

    # Directory and shared infrastructure services.
    c("AD-DC1", "Contrôleur de domaine DC01 (AD, DNS)", "annuaire", site="SITE-DC1",
      team=SYSTEM, restore=4)
    c("AD-DC2", "Contrôleur de domaine DC02 (AD, DNS)", "annuaire", site="SITE-DC2",
      team=SYSTEM, restore=4)
    c("AD-DC3-LRM", "Contrôleur de domaine en lecture seule – Lormeaux", "annuaire",
      site="SITE-LRM", team=SYSTEM, restore=4, org=lrm)
    b.needs("AD-DC1", "HV-CLU-A")
    b.needs("AD-DC2", "HV-CLU-B")
    b.needs("AD-DC3-LRM", "HV-LRM")
    c("PKI", "Autorité de certification interne", "autre", site="SITE-DC1", team=SYSTEM,
      restore=8)
    b.needs("PKI", "HV-CLU-A")
    b.vm("VM-LICENCES", "VM srv-lic-01 (serveur de jetons de licence)", "A", restore=4)
    # Databases shared by several applications.
    for i, cluster in ((1, "A"), (2, "B")):
        site = CLUSTERS[cluster][1]
        b.vm(f"VM-ORA-{i}", f"VM srv-ora-0{i} (Oracle)", cluster, restore=4)
        b.database(f"DB-ORA-{i}", f"Base Oracle du DPI – {'primaire' if i == 1 else 'standby'}",
                   f"VM-ORA-{i}", site=site, restore=8)
        b.vm(f"VM-SQL-{i}", f"VM srv-sql-0{i} (SQL Server)", cluster, restore=4)
        b.database(f"DB-SQL-{i}", f"Instance SQL Server mutualisée – nœud {i} (AlwaysOn)",
                   f"VM-SQL-{i}", site=site, restore=6)
    # Physical servers.
    for code, name, site, team, org in [
        ("SRV-BKP", "Serveur de sauvegarde (hors domaine de production)", "SITE-DC2", SYSTEM,
         None),
        ("SRV-DIAL-LRM", "Serveur physique du logiciel de dialyse", "SITE-LRM", BIOMED, lrm),
        ("SRV-MONIT-REA", "Serveur de la centrale de surveillance (réanimation, USIC)",
         "SITE-DC1", BIOMED, None),
        ("SRV-MONIT-FOETAL", "Serveur de la centrale de monitorage fœtal", "SITE-DC1", BIOMED,
         None),
        ("SRV-MONIT-NEO", "Serveur de la centrale de surveillance néonatale", "SITE-DC1",
         BIOMED, None),
        ("SRV-CHIMIO", "Serveur physique du logiciel de chimiothérapie", "SITE-DC1", SYSTEM,
         None),
        ("SRV-BADGE", "Serveur du contrôle d'accès", "SITE-DC1", SYSTEM, None),
        ("SRV-VIDEO", "Enregistreur de vidéoprotection", "SITE-DC1", SYSTEM, None),
    ]:
        c(code, name, "serveur", site=site, team=team, restore=12, org=org)
        b.needs(code, site, "NET-LRM-CORE" if site == "SITE-LRM" else CORE)
    # Databases of single applications.
    b.database("DB-CHIMIO", "Base du logiciel de chimiothérapie", "SRV-CHIMIO")
    b.database("DB-DIAL", "Base du logiciel de dialyse", "SRV-DIAL-LRM", site="SITE-LRM",
               org=lrm)
    b.database("DB-BADGE", "Base du contrôle d'accès", "SRV-BADGE", restore=4)
    # SaaS services.
    b.saas("SAAS-PAIE", "Plateforme SaaS Paysoft (paie, RH)", "SUP-PAYSOFT")
    b.saas("SAAS-TELESERVICES", "Téléservices nationaux INSi et DMP", "SUP-ANS")
    b.saas("SAAS-MSS", "Service MSSanté de l'opérateur", "SUP-MSS")
    b.saas("SAAS-EFS", "Portail de commande de produits sanguins", "SUP-EFS")
    b.saas("SAAS-RDV", "Service de prise de rendez-vous en ligne", "SUP-AGENDIA")
    b.saas("SAAS-TELEMED", "Plateforme régionale de télémédecine", "SUP-TELESANTE")
    b.saas("SAAS-CHORUS", "Portail Chorus Pro", "SUP-AIFE")
    b.saas("SAAS-EDR", "Console EDR et filtrage de messagerie", "SUP-CYBERVEILLE")
    b.saas("SAAS-GED", "Gestion documentaire qualité en SaaS", "SUP-QUALIDOC")
    b.saas("SAAS-BRANCARD", "Service de gestion du brancardage", "SUP-LOGIFLUX")
    b.saas("SAAS-EHPAD", "Dossier de soins EHPAD en SaaS", "SUP-SOINSPLUS")
    b.saas("SAAS-MARCHES", "Plateforme de dématérialisation des marchés", "SUP-MARCHES")
    # Hosted at the HDS provider.
    c("VM-GEF-HDS", "VM de la GEF chez l'hébergeur HDS", "vm", site="SITE-HDS", team=SUPPLIER,
      restore=8)
    c("VM-ACHATS-HDS", "VM des achats chez l'hébergeur HDS", "vm", site="SITE-HDS",
      team=SUPPLIER, restore=8)
    b.needs("VM-GEF-HDS", "SITE-HDS")
    b.needs("VM-ACHATS-HDS", "SITE-HDS")
    b.database("DB-GEF-HDS", "Base de la GEF et des achats (hébergeur HDS)", "VM-GEF-HDS",
               site="SITE-HDS", restore=12)


def _applications(b: Builder) -> None:
    a = b.application
    hel, inner = "Hélios Santé", "Interne (DSI du GHT)"
    # Patient record suite: redundant across both rooms.
    a("DPI", "Dossier patient informatisé (DPI)", hel, "local", 12)
    b.app_on("DPI", "AB", vms=2, db=ORACLE, restore=4)
    a("GAM", "Gestion administrative des malades (GAM)", hel, "local", 8)
    b.app_on("GAM", "AB", vms=2, db=ORACLE, restore=4)
    b.needs("DPI", "GAM")
    a("PRESC", "Prescription et circuit du médicament (module du DPI)", hel, "local", 4)
    b.needs("PRESC", "DPI")
    a("LITS", "Gestion des lits et des flux patients", hel, "local", 4)
    b.needs("LITS", "DPI", "GAM")
    a("FACT", "Facturation et télétransmission (B2, NOEMIE, FIDES)", hel, "local", 8)
    b.app_on("FACT", "A", db=ORACLE, extra=["GAM", INTERNET])
    # Interfaces and identity.
    a("EAI", "Moteur d'interfaces (EAI HL7 / HPRIM)", "Interopsys", "local", 6)
    b.app_on("EAI", "A", restore=3)
    b.database("DB-EAI", "Base des messages de l'EAI (PostgreSQL)", "VM-EAI", restore=4)
    b.needs("EAI", "DB-EAI", "GAM")
    a("INSI", "Connecteur INSi (identité nationale de santé)", "Agence du numérique en santé",
      "saas", 1)
    b.needs("INSI", "SAAS-TELESERVICES")
    a("DMP", "Alimentation du DMP / Mon espace santé", "Agence du numérique en santé", "saas", 1)
    b.needs("DMP", "SAAS-TELESERVICES", "DPI")
    a("KIOSQUE", "Bornes d'accueil et gestion des files d'attente", "Accueilys", "local", 2)
    b.app_on("KIOSQUE", "A", extra=["GAM"])
    # Emergency care and regulation.
    a("RU", "Logiciel des urgences", "Urgensys", "local", 6)
    b.app_on("RU", "A", db=SQL, extra=["GAM", "EAI"])
    a("REGUL", "Logiciel de régulation médicale (Centre 15)", "Régul'Santé", "local", 4)
    b.app_on("REGUL", "AB", vms=2, ad=None)
    b.database("DB-REGUL-1", "Base de régulation – primaire", "VM-REGUL-1", restore=4)
    b.database("DB-REGUL-2", "Base de régulation – réplique", "VM-REGUL-2", site="SITE-DC2",
               restore=4)
    b.needs("REGUL", ("bdd", "DB-REGUL-1", "DB-REGUL-2"))
    a("TEL-C15", "Plateforme téléphonique du Centre 15 (distribution d'appels)", "Phonis Santé",
      "local", 4)
    b.app_on("TEL-C15", "AB", vms=2, ad=None,
             extra=[("operateur", "NET-SIP-TRUNK", "NET-T2-SECOURS")])
    b.needs("REGUL", "TEL-C15")
    # Critical care, theatre, obstetrics.
    a("ANEST", "Logiciel d'anesthésie et de réanimation", "Anesthea", "local", 8)
    b.app_on("ANEST", "A", db=SQL, extra=["VM-LICENCES"])
    a("MONIT-REA", "Centrale de surveillance des patients (réanimation, USIC)", "Vitalis Medical",
      "local", 6)
    b.needs("MONIT-REA", "SRV-MONIT-REA")
    a("MONIT-NEO", "Centrale de surveillance néonatale", "Vitalis Medical", "local", 6)
    b.needs("MONIT-NEO", "SRV-MONIT-NEO")
    a("MONIT-FOETAL", "Centrale de monitorage fœtal", "Vitalis Medical", "local", 4)
    b.needs("MONIT-FOETAL", "SRV-MONIT-FOETAL")
    a("BLOC-PLAN", "Planification et traçabilité du bloc opératoire", "Opera Systèmes", "local",
      6)
    b.app_on("BLOC-PLAN", "A", db=SQL, extra=["DPI"])
    a("PERINAT", "Dossier de périnatalité", "Mater Logiciels", "local", 6)
    b.app_on("PERINAT", "A", db=SQL, extra=["DPI"])
    a("CARDIO", "ECG et dossier de cardiologie", "Cardionet Systèmes", "local", 6)
    b.app_on("CARDIO", "A", db=SQL)
    a("ENDO", "Endoscopie et traçabilité des endoscopes", "Endotrace", "local", 4)
    b.app_on("ENDO", "B", db=SQL)
    # Medico-technical platforms.
    a("PACS", "PACS – archivage et diffusion des images", "Atlantis Imagerie", "local", 24)
    b.app_on("PACS", "AB", vms=2, extra=["STO-PACS-ARCH"])
    b.vm("VM-PACS-BDD", "VM srv-pacs-bdd (base du PACS)", "A", restore=4)
    b.database("DB-PACS", "Base d'index du PACS", "VM-PACS-BDD")
    b.needs("PACS", "DB-PACS")
    a("RIS", "Système d'information radiologique (RIS)", "Atlantis Imagerie", "local", 8)
    b.app_on("RIS", "A", db=SQL, extra=["EAI"])
    a("DICTEE", "Dictée numérique et reconnaissance vocale", "Vocalis", "local", 4)
    b.app_on("DICTEE", "B", db=SQL)
    a("SIL", "Système d'information de laboratoire (SIL)", "Biolab Informatique", "local", 12)
    b.app_on("SIL", "A", restore=3, extra=["EAI"])
    b.vm("VM-SIL-BDD", "VM srv-sil-bdd (base du SIL)", "A", restore=4)
    b.database("DB-SIL", "Base du SIL (PostgreSQL)", "VM-SIL-BDD", restore=8)
    b.needs("SIL", "DB-SIL")
    a("MW-LAB", "Middleware des automates de biologie", "Biolab Informatique", "local", 6)
    b.app_on("MW-LAB", "A", ad=None)
    b.database("DB-MW-LAB", "Base du middleware de biologie", "VM-MW-LAB", restore=4)
    b.needs("MW-LAB", "DB-MW-LAB")
    a("PHARMA", "Gestion de la pharmacie à usage intérieur", "Officina Hospitalia", "local", 8)
    b.app_on("PHARMA", "A", db=SQL, extra=["EAI"])
    a("ARMOIRES", "Armoires à pharmacie sécurisées", "Medidis Automates", "local", 4)
    b.app_on("ARMOIRES", "B", extra=["PHARMA"])
    a("CHIMIO", "Prescription et préparation des chimiothérapies", "Oncoprep", "local", 8)
    b.needs("CHIMIO", "SRV-CHIMIO", "DB-CHIMIO", AD)
    a("BANQUE-SANG", "Traçabilité transfusionnelle (dépôt de sang)", "Hémotrace", "local", 6)
    b.app_on("BANQUE-SANG", "A", db=SQL)
    a("EFS-LIEN", "Commande de produits sanguins (portail EFS)", "Établissement français du sang",
      "saas", 2)
    b.needs("EFS-LIEN", "SAAS-EFS")
    a("STERI", "Traçabilité de la stérilisation", "Steritrack", "local", 6)
    b.app_on("STERI", "A")
    b.database("DB-STERI", "Base de traçabilité de la stérilisation", "VM-STERI", restore=4)
    b.needs("STERI", "DB-STERI")
    a("DIAL", "Logiciel de dialyse (générateurs connectés)", "Nephrolink", "local", 8,
      org="CH-LRM-ET")
    b.needs("DIAL", "SRV-DIAL-LRM", "DB-DIAL", AD_LRM, "EAI")
    # Communication.
    a("TOIP", "Téléphonie sur IP (IPBX)", "Alcanet Communications", "local", 4)
    b.vm("VM-IPBX-1", "VM ipbx-01 (cœur de téléphonie)", "A", restore=3)
    b.vm("VM-IPBX-2", "VM ipbx-02 (cœur de téléphonie, secours)", "B", restore=3)
    b.needs("TOIP", ("app", "VM-IPBX-1", "VM-IPBX-2"),
            ("operateur", "NET-SIP-TRUNK", "NET-T2-SECOURS"))
    a("DECT", "Téléphonie DECT des soignants", "Alcanet Communications", "local", 4)
    b.needs("DECT", "TOIP", "NET-DECT-BASES")
    a("APPEL-MALADE", "Système d'appel malade", "Sonicall", "local", 4)
    b.app_on("APPEL-MALADE", "A", ad=None, extra=["DECT"])
    a("MAIL", "Messagerie collaborative", "Microsoft", "local", 12)
    b.app_on("MAIL", "AB", vms=2, extra=["SAAS-EDR"])
    a("MSS", "Messagerie sécurisée de santé (MSSanté)", "Mailsanté Centre", "saas", 2)
    b.needs("MSS", "SAAS-MSS")
    a("TELEMED", "Téléconsultation et téléexpertise", "Télésanté Centre", "saas", 2)
    b.needs("TELEMED", "SAAS-TELEMED")
    a("RDV", "Prise de rendez-vous en ligne", "Agendia", "saas", 2)
    b.needs("RDV", "SAAS-RDV", "GAM")
    a("DOC-PRINT", "Serveurs d'impression (bracelets, étiquettes, ordonnances)", inner, "local",
      2)
    b.app_on("DOC-PRINT", "AB", vms=2)
    a("INTRANET", "Intranet et annuaire téléphonique", inner, "local", 4)
    b.app_on("INTRANET", "B")
    a("GED", "Gestion documentaire qualité (procédures, fiches réflexes)", "Qualidoc", "saas", 4)
    b.needs("GED", "SAAS-GED")
    a("VDI", "Publication d'applications et postes virtuels", "Virtualis", "local", 8)
    b.app_on("VDI", "AB", vms=2)
    a("VPN", "Accès distant sécurisé (VPN)", inner, "local", 2)
    b.needs("VPN", FIREWALLS, AD)
    # Administration and logistics.
    a("PMSI", "Codage PMSI et contrôle qualité (DIM)", "Codexa", "local", 6)
    b.app_on("PMSI", "B", db=SQL, extra=["DPI"])
    a("CHORUS", "Dématérialisation des factures (Chorus Pro)", "AIFE", "saas", 1)
    b.needs("CHORUS", "SAAS-CHORUS")
    a("GEF", "Gestion économique et financière (GEF)", "Finhospi", "hebergeur_hds", 24)
    b.needs("GEF", "VM-GEF-HDS", "DB-GEF-HDS", "NET-LIEN-HDS", AD)
    a("ACHATS", "Gestion des achats et des marchés", "Finhospi", "hebergeur_hds", 24)
    b.needs("ACHATS", "VM-ACHATS-HDS", "DB-GEF-HDS", "NET-LIEN-HDS", AD)
    a("MAGASIN", "Gestion des stocks et du magasin central", "Finhospi", "hebergeur_hds", 12)
    b.needs("MAGASIN", "GEF")
    a("MARCHES", "Plateforme de dématérialisation des marchés publics", "Marchés Publics Centre",
      "saas", 2)
    b.needs("MARCHES", "SAAS-MARCHES")
    a("PAIE", "Paie", "Paysoft Services", "saas", 24)
    b.needs("PAIE", "SAAS-PAIE")
    a("GRH", "Gestion des carrières et des dossiers agents", "Paysoft Services", "saas", 24)
    b.needs("GRH", "SAAS-PAIE")
    a("GTT", "Gestion du temps de travail et des plannings", "Chronos Planning", "local", 8)
    b.app_on("GTT", "B", db=SQL)
    a("RESTAU", "Gestion de la restauration (commandes de repas)", "Nutrigest", "local", 4)
    b.app_on("RESTAU", "B", db=SQL, extra=["GAM"])
    a("BRANCARD", "Gestion du brancardage", "Logiflux", "saas", 2)
    b.needs("BRANCARD", "SAAS-BRANCARD")
    a("GMAO", "GMAO biomédicale et technique", "Maintenix", "local", 6)
    b.app_on("GMAO", "B", db=SQL)
    a("GTC", "Gestion technique centralisée du bâtiment", "Thermogest", "local", 4)
    b.app_on("GTC", "B", ad=None)
    a("BADGE", "Contrôle d'accès par badges", "Securis Accès", "local", 4)
    b.needs("BADGE", "SRV-BADGE", "DB-BADGE")
    a("VIDEO", "Vidéoprotection", "Securis Accès", "local", 4)
    b.needs("VIDEO", "SRV-VIDEO")
    a("EHPAD-DSI", "Dossier de soins EHPAD", "Soins+ Médico-social", "saas", 4, org="CH-MCS-TIL")
    b.needs("EHPAD-DSI", "SAAS-EHPAD")
    # IT operations (no activity depends on them directly; they matter for the recovery).
    a("BACKUP", "Sauvegarde (serveur, catalogues, copies hors ligne)", inner, "local", 8)
    b.needs("BACKUP", "SRV-BKP", "STO-BKP-DISK", "STO-BKP-TAPE", "STO-BKP-IMMU")
    a("SUPERV", "Supervision de l'infrastructure", inner, "local", 4)
    b.app_on("SUPERV", "B")
    a("EDR", "Détection et réponse sur les postes et serveurs (EDR)", "Cyberveille", "saas", 2)
    b.needs("EDR", "SAAS-EDR")


def _activities(b: Builder) -> None:
    act, pas, mcs = b.activity, "CH-MCS-PAS", "CH-MCS"
    til, lrm, rcb = "CH-MCS-TIL", "CH-LRM-ET", "HP-RCB-ET"
    # Care services.
    act("URG", "Urgences adultes et pédiatriques", pas, "soins",
        "Dr Hélène Carvalho, cheffe de service des urgences", 1)
    b.needs("URG", ("DPI", 4), ("RU", 2), ("GAM", 4), ("PRESC", 4), ("SIL", 2), ("PACS", 4),
            ("RIS", 8), ("TOIP", 1), ("DECT", 1), ("DOC-PRINT", 2), "NET-DIST-URG")
    act("SAMU", "SAMU – régulation médicale (Centre 15)", pas, "soins",
        "Dr Marc Levasseur, chef de service SAMU-SMUR", 0.5, dmia=0.5,
        reason="Les appels au 15 doivent être décrochés et régulés sans interruption : "
               "au-delà de 30 minutes, bascule obligatoire sur le SAMU voisin (convention "
               "départementale de débordement).")
    b.needs("SAMU", ("REGUL", 0.5), "TEL-C15", ("DPI", 8))
    act("REA", "Réanimation polyvalente", pas, "soins",
        "Dr Sophie Nguyen, cheffe de service de réanimation", 0.5)
    b.needs("REA", ("ANEST", 2), "MONIT-REA", ("DPI", 2), ("PRESC", 2), ("SIL", 1),
            ("PACS", 4), ("BANQUE-SANG", 2))
    act("BLOC", "Bloc opératoire central", pas, "soins",
        "Dr Thomas Briand, président du conseil de bloc", 1)
    b.needs("BLOC", ("BLOC-PLAN", 8), ("ANEST", 1), ("STERI", 24), ("DPI", 4), ("PACS", 2),
            ("BANQUE-SANG", 2))
    act("MAT", "Maternité – salle de naissance", pas, "soins",
        "Isabelle Marchand, sage-femme coordinatrice", 1)
    b.needs("MAT", ("PERINAT", 4), "MONIT-FOETAL", ("DPI", 4), ("GAM", 8), ("SIL", 2),
            ("BANQUE-SANG", 1))
    act("NEO", "Néonatalogie et soins intensifs néonataux", pas, "soins",
        "Dr Karim Benali, chef de service de néonatalogie", 1)
    b.needs("NEO", "MONIT-NEO", ("PERINAT", 4), ("DPI", 4), ("PRESC", 2), ("SIL", 2))
    act("ONCO", "Oncologie – hôpital de jour de chimiothérapie", pas, "soins",
        "Dr Anne Lefèvre, oncologue coordinatrice", 4)
    b.needs("ONCO", ("CHIMIO", 4), ("DPI", 8), ("SIL", 4), ("RDV", 24))
    act("CARDIO-USIC", "Cardiologie et soins intensifs de cardiologie", pas, "soins",
        "Dr Paul Rousseau, chef de service de cardiologie", 1)
    b.needs("CARDIO-USIC", ("CARDIO", 4), "MONIT-REA", ("DPI", 4), ("SIL", 2))
    act("MED-PAS", "Médecine polyvalente (hospitalisation conventionnelle)", pas, "soins",
        "Dr Claire Dubois, cheffe de pôle médecine", 4)
    b.needs("MED-PAS", ("DPI", 8), ("PRESC", 4), ("TOIP", 4), ("LITS", 24))
    act("CONSULT", "Consultations externes", pas, "soins",
        "Nathalie Girard, cadre de santé des consultations", 8)
    b.needs("CONSULT", ("DPI", 24), ("GAM", 4), ("RDV", 48), ("TOIP", 4))
    act("ENDOSCOPIE", "Endoscopie digestive", pas, "soins",
        "Dr Julien Moreau, gastro-entérologue", 4)
    b.needs("ENDOSCOPIE", ("ENDO", 8), ("DPI", 8))
    # Medico-technical platforms.
    act("PUI", "Pharmacie à usage intérieur – dispensation", pas, "plateau_technique",
        "Dr Marie Fontaine, pharmacienne gérante", 4)
    b.needs("PUI", ("PHARMA", 24), ("ARMOIRES", 8), ("PRESC", 4))
    act("UPC", "Unité de préparation des chimiothérapies", pas, "plateau_technique",
        "Dr Lucas Perrin, pharmacien responsable de l'UPC", 1)
    b.needs("UPC", ("CHIMIO", 2), "PERS-UPC", ("PHARMA", 24))
    act("LABO", "Laboratoire de biologie médicale du GHT", pas, "plateau_technique",
        "Dr Émilie Laurent, biologiste responsable", 1)
    b.needs("LABO", ("SIL", 1), "MW-LAB", ("EAI", 4), ("GAM", 4), ("DOC-PRINT", 4))
    act("IMAGERIE", "Imagerie médicale (scanner, IRM, radiologie)", pas, "plateau_technique",
        "Dr François Mercier, chef de service d'imagerie", 2)
    b.needs("IMAGERIE", ("RIS", 4), ("PACS", 2), ("DICTEE", 24), ("EAI", 8))
    act("STERILISATION", "Stérilisation centrale", pas, "plateau_technique",
        "Dr Camille Roux, pharmacienne responsable de la stérilisation", 24)
    b.needs("STERILISATION", ("STERI", 8), "PERS-STER", ("GMAO", 72))
    act("DEPOT-SANG", "Dépôt de sang et hémovigilance", pas, "plateau_technique",
        "Dr Yves Bertrand, correspondant d'hémovigilance", 0.5)
    b.needs("DEPOT-SANG", ("BANQUE-SANG", 1), ("EFS-LIEN", 2), ("SIL", 2))
    # Administrative processes.
    act("ADM-FACT", "Admissions, frais de séjour et facturation", mcs, "administratif",
        "Sylvie Lambert, responsable des admissions et de la facturation", 24)
    b.needs("ADM-FACT", ("GAM", 8), ("FACT", 72), ("INSI", 24), ("KIOSQUE", 4))
    act("IDV", "Identitovigilance du GHT", mcs, "administratif",
        "Dr Bruno Garnier, président de la cellule d'identitovigilance", 24)
    b.needs("IDV", ("GAM", 24), ("INSI", 24), ("EAI", 24), "PERS-IDV")
    act("PAIE-RH", "Paie et gestion administrative du personnel", mcs, "administratif",
        "Véronique Chevalier, directrice des ressources humaines", 24, dmia=120,
        reason="La paie est versée le dernier jour ouvré du mois ; le calendrier de clôture "
               "laisse 5 jours pour relancer la chaîne, et l'avance sur salaire de la trésorerie "
               "couvre un mois au plus.")
    b.needs("PAIE-RH", ("PAIE", 72), ("GRH", 120), ("GTT", 72), "PERS-PAIE")
    act("ACHATS-APPRO", "Achats et approvisionnements du GHT", mcs, "administratif",
        "Olivier Fabre, directeur des achats du GHT", 24)
    b.needs("ACHATS-APPRO", ("ACHATS", 72), ("MARCHES", 168), ("MAGASIN", 48), ("GEF", 72))
    act("FINANCES", "Gestion financière et comptable", mcs, "administratif",
        "Catherine Renaud, directrice des finances", 24)
    b.needs("FINANCES", ("GEF", 120), ("CHORUS", 168))
    act("DIM", "Information médicale et codage (DIM)", mcs, "administratif",
        "Dr Henri Leroy, médecin DIM", 72)
    b.needs("DIM", ("PMSI", 168), ("DPI", 168))
    # Support.
    act("STANDARD", "Standard téléphonique et accueil", pas, "support",
        "Martine Collin, responsable de l'accueil", 24)
    # The switchboard falls back on analogue lines and stand-alone phones.
    b.needs("STANDARD", ("telephonie", "TOIP", "NET-LIGNES-SECOURS"))
    act("SURETE", "Sûreté – contrôle d'accès et vidéoprotection", pas, "support",
        "Pascal Henry, responsable sûreté", 24)
    b.needs("SURETE", ("BADGE", 8), ("VIDEO", 4))
    act("BRANCARDAGE", "Brancardage et transport interne des patients", pas, "support",
        "Didier Morel, responsable logistique patients", 24)
    b.needs("BRANCARDAGE", ("BRANCARD", 4), ("DECT", 1), "NET-WIFI")
    act("COORDINATION", "Lettres de liaison et coordination avec la ville", pas, "support",
        "Dr Claire Dubois, cheffe de pôle médecine", 24)
    b.needs("COORDINATION", ("MSS", 24), ("MAIL", 24), ("DMP", 72), ("TELEMED", 72))
    act("BIOMEDICAL", "Maintenance biomédicale", mcs, "support",
        "Rémi Gauthier, ingénieur biomédical", 72)
    b.needs("BIOMEDICAL", ("GMAO", 72))
    act("RESTAURATION", "Restauration – production et distribution des repas", til, "support",
        "Jean-Marc Picard, responsable de la cuisine centrale", 24)
    b.needs("RESTAURATION", ("RESTAU", 24), ("GAM", 24))
    # Tilleuls site.
    act("SMR", "Soins médicaux et de réadaptation", til, "soins",
        "Dr Agnès Michel, médecin coordonnateur SMR", 8)
    b.needs("SMR", ("DPI", 24), ("PRESC", 8), ("TOIP", 8))
    act("EHPAD", "EHPAD – soins et circuit du médicament", til, "soins",
        "Laure Boyer, cadre de santé de l'EHPAD", 24)
    b.needs("EHPAD", ("EHPAD-DSI", 24))
    # Lormeaux-les-Bois.
    act("URG-LRM", "Urgences de Lormeaux-les-Bois", lrm, "soins",
        "Dr Antoine Marchal, chef de service des urgences", 1)
    b.needs("URG-LRM", ("DPI", 4), ("RU", 2), ("GAM", 4), ("SIL", 2), ("PACS", 4), ("TOIP", 1),
            "NET-WAN-LRM", "NET-LRM-CORE")
    act("DIALYSE", "Hémodialyse (centre lourd)", lrm, "soins",
        "Dr Sarah Kaci, néphrologue responsable du centre", 4, dmia=24,
        reason="Les séances peuvent être décalées de 24 h au plus ; au-delà, transfert des "
               "patients vers le centre de dialyse partenaire (convention signée).")
    b.needs("DIALYSE", ("DIAL", 4), ("DPI", 24), ("SIL", 4), "NET-LRM-CORE")
    act("MED-LRM", "Médecine et chirurgie ambulatoire de Lormeaux", lrm, "soins",
        "Dr Pierre Caron, chef de pôle", 4)
    b.needs("MED-LRM", ("DPI", 8), ("PRESC", 4), "NET-WAN-LRM", "NET-LRM-CORE")
    # Rochebrune-en-Sologne.
    act("MED-RCB", "Médecine de proximité de Rochebrune", rcb, "soins",
        "Dr Odile Vasseur, médecin coordonnateur", 8)
    b.needs("MED-RCB", ("VDI", 12), ("DPI", 12), ("PRESC", 8), "NET-RCB-SW")


def _bias(b: Builder) -> None:
    """Impact levels 0–4 per criterion, at 1 h, 4 h, 24 h, 72 h, 1 week, 1 month. Groups in
    the order: patient safety, continuity of care, legal, financial, image, organisation."""
    signed, submitted, draft = SIGNED_OFF, SUBMITTED, DRAFT
    #      activity        status      safety continu legal  financ image  organis
    for code, status, levels in [
        # Care: a serious impact on patients within the hour for the most critical.
        ("URG", signed, "344444 344444 123344 012334 234444 344444"),
        ("SAMU", signed, "444444 444444 234444 001223 344444 344444"),
        ("REA", signed, "444444 344444 123344 011233 123444 344444"),
        ("BLOC", signed, "234444 234444 122334 123444 123344 234444"),
        ("MAT", signed, "344444 334444 233444 012233 234444 234444"),
        ("NEO", signed, "344444 344444 123344 011223 234444 234444"),
        ("CARDIO-USIC", signed, "344444 234444 123344 012233 123344 234444"),
        ("DEPOT-SANG", signed, "344444 344444 234444 001122 234444 234444"),
        ("URG-LRM", signed, "344444 344444 123344 012233 234444 344444"),
        ("ONCO", signed, "123444 123444 012233 012334 012334 123344"),
        ("MED-PAS", signed, "123344 123344 012233 001223 012233 122334"),
        ("CONSULT", signed, "001122 012233 001122 012234 012233 112233"),
        ("ENDOSCOPIE", draft, "012334 012334 001223 012334 001223 012233"),
        ("SMR", submitted, "012334 012334 001223 001122 001122 012233"),
        ("MED-LRM", submitted, "123344 123344 012233 001122 012233 122334"),
        # Computed 72 h; the declared 24 h wins (sessions cannot slip by more than a day).
        ("DIALYSE", signed, "012344 012344 012233 001122 012233 012334"),
        # A draft half filled in: the referent has only assessed the care criteria so far.
        ("EHPAD", draft, "0123.. 0123.. ...... ...... ...... ......"),
        # Medico-technical platforms: 4 h to 24 h.
        ("LABO", signed, "234444 234444 123344 012233 123344 234444"),
        ("PUI", signed, "123444 123444 123344 001223 012233 123344"),
        ("UPC", signed, "123444 123444 122334 012334 012334 123344"),
        ("STERILISATION", signed, "012344 012344 012334 011223 011223 012334"),
        # Administrative processes: later, on the financial and legal criteria.
        ("ADM-FACT", signed, "000011 001122 011233 012344 001122 012233"),
        ("ACHATS-APPRO", signed, "000112 001123 001233 001234 000112 001233"),
        ("PAIE-RH", signed, "000000 000000 000234 000134 000234 001234"),
        ("IDV", submitted, "012334 012233 012334 000112 001223 012233"),
        ("FINANCES", submitted, "000000 000000 000123 000123 000012 000122"),
        ("DIM", draft, "000000 000011 000123 000123 000011 000112"),
        # Support: later still, or never critical.
        ("STANDARD", signed, "011222 012223 000111 000011 011222 122233"),
        ("BIOMEDICAL", signed, "001223 001122 001122 000112 000011 012233"),
        ("RESTAURATION", signed, "001122 001122 000112 000011 011222 122222"),
        ("SURETE", draft, "001122 000111 011222 000011 011222 011222"),
    ]:
        b.bia(code, (status, levels))
    # Imaging revises its signed-off BIA (new MRI, interventional scanner): version 2 in draft.
    b.bia("IMAGERIE", (signed, "123444 234444 012233 012334 012334 123344"),
          (draft, "234444 234444 012233 012334 123344 123344"))
    # No BIA yet: BRANCARDAGE, COORDINATION, MED-RCB.
    b.campaign("CH-MCS", "Campagne BIA 2026 – CH de Montclair-sur-Sauldre", -90, 45)
    b.campaign("CH-LRM", "Campagne BIA 2026 – CH de Lormeaux-les-Bois", -120, -10)
    b.campaign("HP-RCB", "Campagne BIA 2026 – Hôpital de proximité de Rochebrune", -30, 90)

