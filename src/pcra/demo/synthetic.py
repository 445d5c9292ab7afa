"""A synthetic GHT of N establishments, for load tests and benchmarks (``seed_demo --scale N``).

Deterministic for a given (N, seed). Acyclic by construction: every node sits in a layer and an
edge always goes from a lower layer to a strictly higher one (activities → applications →
databases → VMs → directory → hypervisors → hosts → storage → network → sites → power →
suppliers); :func:`generate` asserts it for every edge it makes.

Sizes (see ``PER_ET`` and ``SHARED``): about 156 applications and components and 680 edges per
establishment, plus a shared data centre of about 120 nodes, so N = 20 gives about 3,200
applications and components and 13,000 edges. Pure Python, no Django import.

Every activity has a BIA (:func:`_bias`, drawn from its own random stream so that the graph of a
given seed does not change): a full grid of levels that never decrease over time, whose DMIA
horizon depends on the nature of the activity (care early, platforms within a day,
administration later, support late or never); about 80 % signed off, 10 % submitted, 10 % in
draft.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from pcra.demo.spec import (
    ACTIVITY,
    APPLICATION,
    BIA_CRITERIA,
    BIA_HORIZONS,
    COMPONENT,
    DRAFT,
    SIGNED_OFF,
    SUBMITTED,
    BiaSpec,
    BiaVersionSpec,
    EdgeSpec,
    GhtSpec,
    NodeSpec,
    OrgSpec,
)
from pcra.demo.spec import hours as h
from pcra.organizations.finess import with_check_digit

MAX_SCALE = 500
ET_PER_EJ = 4

#: per establishment
PER_ET = {"activities": 30, "core_apps": 10, "apps": 40, "vms": 60, "dbs": 25, "hosts": 3,
          "servers": 5, "people": 3}
#: shared across the synthetic GHT
SHARED = {"core_apps": 6, "apps": 14, "vms": 40, "dbs": 12, "hosts_per_cluster": 4,
          "saas": 8, "suppliers": 12}

LAYER = {
    "activity": 0, "app": 10, "core_app": 20, "shared_app": 30, "shared_core_app": 40,
    "saas": 50, "db": 50, "vm": 60, "directory": 70, "hypervisor": 80, "server": 90,
    "storage": 100, "wan": 110, "firewall": 115, "core": 120, "site": 130, "power": 140,
    "supplier": 150, "people": 150,
}

CARE = ["Urgences", "Réanimation", "Bloc opératoire", "Maternité", "Néonatalogie",
        "Hémodialyse", "Oncologie", "Cardiologie", "Pneumologie", "Gériatrie", "Pédiatrie",
        "Chirurgie ambulatoire", "Médecine polyvalente", "Soins médicaux et de réadaptation",
        "Psychiatrie adulte", "Consultations externes", "Soins palliatifs", "Neurologie"]
PLATFORM = ["Pharmacie", "Laboratoire", "Imagerie", "Stérilisation", "Dépôt de sang"]
ADMIN = ["Admissions et facturation", "Paie", "Achats", "Identitovigilance"]
SUPPORT = ["Standard téléphonique", "Restauration", "Brancardage"]
APP_KINDS = ["Dossier de spécialité", "Logiciel métier", "Traçabilité", "Planification",
             "Centrale de surveillance", "Gestion des stocks", "Prescription", "Portail",
             "Interface", "Reporting"]
VENDORS = ["Hélios Santé", "Atlantis Imagerie", "Biolab Informatique", "Officina Hospitalia",
           "Vitalis Medical", "Opera Systèmes", "Finhospi", "Paysoft Services", "Interopsys",
           "Interne (DSI du GHT)"]
TEAMS = {"vm": "Système", "hyperviseur": "Système", "serveur": "Système", "stockage": "Système",
         "annuaire": "Système", "base_de_donnees": "Bases de données", "reseau": "Réseau",
         "site": "Services techniques", "energie": "Services techniques", "saas": "Fournisseur",
         "fournisseur": "Fournisseur", "personnel": ""}


@dataclass
class _Gen:
    spec: GhtSpec
    rng: random.Random
    layer: dict

    def node(self, code, node_type, name, layer, org=None, **fields):
        self.spec.nodes.append(NodeSpec(code=code, node_type=node_type, name=name,
                                        organization=org, fields=fields))
        self.layer[code] = LAYER[layer]

    def component(self, code, name, kind, layer, org=None, site="", restore=None):
        self.node(code, COMPONENT, name, layer, org, component_kind=kind, site=site,
                  recovery_team=TEAMS.get(kind, ""), restore_hours_estimate=h(restore))

    def edge(self, source, target, autonomy=None, group=""):
        # The invariant that keeps the graph acyclic (targets are defined before use).
        if not self.layer[source] < self.layer[target]:
            raise AssertionError(f"edge {source} → {target} does not go down the layers")
        self.spec.edges.append(EdgeSpec(source, target, h(autonomy), group))

    def group(self, source, group, targets):
        for target in targets:
            self.edge(source, target, group=group)


def ght_code(scale: int) -> str:
    return f"SYN-{scale}"


def generate(scale: int, seed: int = 1) -> GhtSpec:
    """The synthetic GHT of ``scale`` establishments for ``seed``."""
    if not 1 <= scale <= MAX_SCALE:
        raise ValueError(f"scale must be between 1 and {MAX_SCALE}")
    code = ght_code(scale)
    rng = random.Random(f"pcra-synthetic/{scale}/{seed}")
    gen = _Gen(GhtSpec(ght=OrgSpec(code=code, name=f"GHT synthétique {code} (graine {seed})",
                                   kind="GHT")), rng, {})
    _organizations(gen, scale)
    shared = _shared(gen)
    for i in range(1, scale + 1):
        _establishment(gen, i, shared)
    _bias(gen.spec, random.Random(f"pcra-synthetic-bia/{scale}/{seed}"))
    return gen.spec


def _organizations(gen: _Gen, scale: int) -> None:
    """EJ of ``ET_PER_EJ`` establishments each; FINESS 98 + scale + a counter + key."""
    code, rng = gen.spec.ght.code, gen.rng
    finess = (with_check_digit(f"98{scale:03d}{k:03d}") for k in range(1, 1000))
    ets = [OrgSpec(code=f"{code}-ET{i:03d}", name=f"Établissement synthétique {i}", kind="ET",
                   parent=f"{code}-EJ{(i - 1) // ET_PER_EJ + 1:02d}",
                   weight=rng.randint(40, 600))
           for i in range(1, scale + 1)]
    for j in range(1, (scale - 1) // ET_PER_EJ + 2):
        ej = f"{code}-EJ{j:02d}"
        gen.spec.organizations.append(OrgSpec(
            code=ej, name=f"Entité juridique synthétique {j}", kind="EJ", parent=code,
            finess=next(finess), weight=sum(et.weight for et in ets if et.parent == ej)))
    gen.spec.organizations.extend(replace(et, finess=next(finess)) for et in ets)


def _shared(gen: _Gen) -> dict:
    """The GHT's shared data centre: two rooms, two clusters, directory, SaaS, suppliers."""
    rng, c = gen.rng, gen.component
    suppliers = [f"S-SUP-{k:02d}" for k in range(1, SHARED["suppliers"] + 1)]
    for k, sup in enumerate(suppliers, start=1):
        c(sup, f"Fournisseur {k}", "fournisseur", "supplier")
    cores, fws = ["S-CORE-1", "S-CORE-2"], ["S-FW-1", "S-FW-2"]
    hvs, dcs = ["S-HV-1", "S-HV-2"], ["S-DC-1", "S-DC-2"]
    for r in (1, 2):
        site = f"S-SITE-{r}"
        c(site, f"Salle informatique mutualisée {r}", "site", "site", restore=168)
        for p in "AB":
            c(f"S-PWR-{r}{p}", f"Alimentation {p} de la salle {r}", "energie", "power",
              site=site, restore=12)
        gen.group(site, "energie", [f"S-PWR-{r}A", f"S-PWR-{r}B"])
        c(cores[r - 1], f"Cœur de réseau {r}", "reseau", "core", site=site, restore=4)
        gen.edge(cores[r - 1], site)
    for r in (1, 2):
        site = f"S-SITE-{r}"
        c(fws[r - 1], f"Pare-feu {r}", "reseau", "firewall", site=site, restore=4)
        gen.edge(fws[r - 1], site)
        gen.group(fws[r - 1], "coeur", cores)
        c(f"S-INET-{r}", f"Accès Internet {r}", "reseau", "wan", site=site, restore=4)
        gen.edge(f"S-INET-{r}", suppliers[r - 1])
    for r in (1, 2):
        site = f"S-SITE-{r}"
        gen.group(f"S-INET-{r}", "pare-feu", fws)
        c(f"S-SAN-{r}", f"Baie SAN {r}", "stockage", "storage", site=site, restore=24)
        gen.edge(f"S-SAN-{r}", site)
        hosts = [f"S-HOST-{r}{k}" for k in range(1, SHARED["hosts_per_cluster"] + 1)]
        for host in hosts:
            c(host, f"Hôte de virtualisation {host[7:]}", "serveur", "server", site=site,
              restore=8)
            gen.edge(host, site)
            gen.edge(host, f"S-SAN-{r}")
            gen.group(host, "coeur", cores)
        c(hvs[r - 1], f"Cluster de virtualisation {r}", "hyperviseur", "hypervisor", site=site,
          restore=8)
        gen.group(hvs[r - 1], "hotes", hosts)
        c(dcs[r - 1], f"Contrôleur de domaine {r}", "annuaire", "directory", site=site,
          restore=4)
        gen.edge(dcs[r - 1], hvs[r - 1])
    saas = [f"S-SAAS-{k:02d}" for k in range(1, SHARED["saas"] + 1)]
    for k, code in enumerate(saas):
        c(code, f"Service SaaS {k + 1}", "saas", "saas", restore=None)
        gen.edge(code, suppliers[2 + k % (len(suppliers) - 2)])
        gen.group(code, "internet", ["S-INET-1", "S-INET-2"])
    vms = [f"S-VM-{k:03d}" for k in range(1, SHARED["vms"] + 1)]
    for k, vm in enumerate(vms):
        c(vm, f"VM mutualisée {k + 1}", "vm", "vm", site=f"S-SITE-{k % 2 + 1}",
          restore=rng.choice([1, 2, 3, 4]))
        gen.edge(vm, hvs[k % 2])
    dbs = [f"S-DB-{k:02d}" for k in range(1, SHARED["dbs"] + 1)]
    for k, db in enumerate(dbs):
        c(db, f"Base mutualisée {k + 1}", "base_de_donnees", "db", restore=rng.choice([4, 6, 8]))
        if k % 2 == 0:  # replicated across both rooms
            gen.group(db, "replica", [vms[2 * k % len(vms)], vms[(2 * k + 1) % len(vms)]])
        else:
            gen.edge(db, vms[2 * k % len(vms)])
    core_apps = [f"S-APP-{k:02d}" for k in range(1, SHARED["core_apps"] + 1)]
    apps = [f"S-APP-{k:02d}" for k in range(SHARED["core_apps"] + 1,
                                            SHARED["core_apps"] + SHARED["apps"] + 1)]
    free_vms = iter(vms[SHARED["dbs"]:] * 3)
    for k, app in enumerate(core_apps + apps):
        layer = "shared_core_app" if app in core_apps else "shared_app"
        gen.node(app, APPLICATION, f"Application mutualisée {k + 1}", layer,
                 vendor=rng.choice(VENDORS), hosting="local",
                 restore_hours_estimate=h(rng.choice([2, 4, 8, 12, 24])))
        if k % 3 == 0:
            gen.group(app, "app", [next(free_vms), next(free_vms)])
        else:
            gen.edge(app, next(free_vms))
        gen.edge(app, dbs[k % len(dbs)])
        gen.group(app, "ad", dcs)
        if layer == "shared_app":
            gen.edge(app, rng.choice(core_apps))
            if k % 4 == 0:
                gen.edge(app, rng.choice(saas))
    return {"cores": cores, "hvs": hvs, "dcs": dcs, "saas": saas, "apps": apps,
            "core_apps": core_apps, "suppliers": suppliers}


def _establishment(gen: _Gen, i: int, shared: dict) -> None:
    rng, c = gen.rng, gen.component
    org = f"{gen.spec.ght.code}-ET{i:03d}"
    p = f"E{i:03d}"
    site, cores, wan = f"{p}-SITE", [f"{p}-CORE-1", f"{p}-CORE-2"], f"{p}-WAN"
    c(site, f"Salle informatique de l'établissement {i}", "site", "site", org, restore=168)
    for k in (1, 2):
        c(f"{p}-PWR-{k}", f"Alimentation {k} de l'établissement {i}", "energie", "power", org,
          site=site, restore=12)
    gen.group(site, "energie", [f"{p}-PWR-1", f"{p}-PWR-2"])
    for k, core in enumerate(cores, start=1):
        c(core, f"Cœur de réseau {k} de l'établissement {i}", "reseau", "core", org, site=site,
          restore=4)
        gen.edge(core, site)
    c(wan, f"Lien WAN vers l'établissement {i}", "reseau", "wan", org, restore=6)
    gen.edge(wan, rng.choice(shared["suppliers"][:2]))
    gen.group(wan, "coeur-ght", shared["cores"])
    gen.group(wan, "coeur", cores)
    san, nas = f"{p}-SAN", f"{p}-NAS"
    for code, name in ((san, "Baie de stockage"), (nas, "NAS")):
        c(code, f"{name} de l'établissement {i}", "stockage", "storage", org, site=site,
          restore=24)
        gen.edge(code, site)
        gen.group(code, "coeur", cores)
    hosts = [f"{p}-HOST-{k}" for k in range(1, PER_ET["hosts"] + 1)]
    servers = [f"{p}-SRV-{k}" for k in range(1, PER_ET["servers"] + 1)]
    for code in hosts + servers:
        c(code, f"Serveur {code}", "serveur", "server", org, site=site, restore=8)
        gen.edge(code, site)
        gen.group(code, "coeur", cores)
        gen.edge(code, san if code in hosts else nas)
    hv, dc = f"{p}-HV", f"{p}-DC"
    c(hv, f"Hyperviseur de l'établissement {i}", "hyperviseur", "hypervisor", org, site=site,
      restore=8)
    gen.group(hv, "hotes", hosts)
    gen.edge(hv, san)
    c(dc, f"Contrôleur de domaine local {i}", "annuaire", "directory", org, site=site,
      restore=4)
    gen.edge(dc, hv)
    ad = [*shared["dcs"], dc]
    vms = [f"{p}-VM-{k:03d}" for k in range(1, PER_ET["vms"] + 1)]
    for vm in vms:
        remote = rng.random() < 0.15
        c(vm, f"VM {vm}", "vm", "vm", org, site="" if remote else site,
          restore=rng.choice([1, 2, 3, 4]))
        gen.edge(vm, rng.choice(shared["hvs"]) if remote else hv)
        if rng.random() < 0.3:
            gen.edge(vm, nas)
    dbs = [f"{p}-DB-{k:02d}" for k in range(1, PER_ET["dbs"] + 1)]
    for db in dbs:
        c(db, f"Base {db}", "base_de_donnees", "db", org, site=site,
          restore=rng.choice([4, 6, 8, 12]))
        if rng.random() < 0.3:
            gen.group(db, "replica", rng.sample(vms, 2))
        else:
            gen.edge(db, rng.choice(vms))
    people = [f"{p}-PERS-{k}" for k in range(1, PER_ET["people"] + 1)]
    for k, code in enumerate(people, start=1):
        c(code, f"Équipe clé {k} de l'établissement {i}", "personnel", "people", org)
    core_apps = [f"{p}-APP-{k:02d}" for k in range(1, PER_ET["core_apps"] + 1)]
    apps = [f"{p}-APP-{k:02d}" for k in range(PER_ET["core_apps"] + 1,
                                              PER_ET["core_apps"] + PER_ET["apps"] + 1)]
    for k, app in enumerate(core_apps + apps):
        is_core = app in core_apps
        gen.node(app, APPLICATION, f"{APP_KINDS[k % len(APP_KINDS)]} {k + 1} – établissement {i}",
                 "core_app" if is_core else "app", org, vendor=rng.choice(VENDORS),
                 hosting=rng.choice(["local"] * 8 + ["hebergeur_hds", "saas"]),
                 restore_hours_estimate=h(rng.choice([1, 2, 4, 8, 12, 24])))
        if rng.random() < 0.4:
            gen.group(app, "app", rng.sample(vms, 2))
        else:
            gen.edge(app, rng.choice(vms))
        if rng.random() < 0.7:
            gen.edge(app, rng.choice(dbs))
        if rng.random() < 0.8:
            gen.group(app, "ad", ad)
        for target in rng.sample(shared["apps"] + shared["core_apps"],
                                 rng.choice([0, 1, 1, 2])):
            gen.edge(app, target)
        if not is_core:
            for target in rng.sample(core_apps, rng.choice([0, 1, 2])):
                gen.edge(app, target)
        if rng.random() < 0.1:
            gen.edge(app, rng.choice(shared["saas"]))
        if rng.random() < 0.2:
            gen.edge(app, rng.choice(servers))
    kinds = ([("soins", n) for n in CARE] + [("plateau_technique", n) for n in PLATFORM]
             + [("administratif", n) for n in ADMIN] + [("support", n) for n in SUPPORT])
    for k in range(PER_ET["activities"]):
        kind, name = kinds[k % len(kinds)]
        code = f"{p}-ACT-{k + 1:02d}"
        critical = kind == "soins" and rng.random() < 0.1
        gen.node(code, ACTIVITY, f"{name} – établissement {i}", "activity", org,
                 activity_kind=kind, owner=f"Référent {k + 1} de l'établissement {i}",
                 pdma_hours=h(rng.choice([0.5, 1, 4, 24, 72])),
                 declared_dmia_hours=h(2) if critical else None,
                 declared_dmia_reason="Activité vitale : DMIA déclarée par la direction."
                 if critical else "")
        used = rng.sample(apps + core_apps, rng.randint(3, 6))
        if rng.random() < 0.15:  # two applications that can stand in for each other
            gen.group(code, "alternatives", used[:2])
            used = used[2:]
        for app in used:
            gen.edge(code, app, autonomy=rng.choice([None, 1, 2, 4, 8, 24, 72]))
        if rng.random() < 0.5:
            gen.edge(code, rng.choice(shared["apps"]), autonomy=rng.choice([None, 4, 24]))
            gen.edge(code, wan)
        if rng.random() < 0.5:
            gen.group(code, "lan", cores)
        if rng.random() < 0.1:
            gen.edge(code, rng.choice(people))


#: the criterion that reaches the threshold first, by nature of activity
PRIMARY = {"soins": "securite_patients", "plateau_technique": "continuite_soins",
           "administratif": "financier", "support": "organisation"}
#: weights of the DMIA horizon (1 h … 1 month, then none: not critical), by nature
REACH = {"soins": (35, 25, 20, 10, 5, 0, 5), "plateau_technique": (10, 35, 35, 10, 5, 0, 5),
         "administratif": (0, 0, 10, 35, 35, 10, 10), "support": (0, 0, 5, 15, 30, 20, 30)}
STATUS_WEIGHTS = ((SIGNED_OFF, 80), (SUBMITTED, 10), (DRAFT, 10))


def _curve(rng: random.Random, reach: int | None, primary: bool) -> list[int]:
    """Levels at each horizon, never decreasing; below the threshold (3) before ``reach``;
    the primary criterion reaches it at ``reach``."""
    level, out = rng.choice([0, 0, 1]), []
    for index in range(len(BIA_HORIZONS)):
        if index:
            level = min(4, level + rng.choice([0, 0, 1]))
        if primary and index == reach:
            level = max(level, rng.choice([3, 3, 4]))
        if reach is None or index < reach:
            level = min(level, 2)
        out.append(level)
    return out


def _bias(spec: GhtSpec, rng: random.Random) -> None:
    horizons = [*range(len(BIA_HORIZONS)), None]
    statuses, weights = zip(*STATUS_WEIGHTS, strict=True)
    for node in spec.nodes:
        if node.node_type != ACTIVITY:
            continue
        kind = node.fields["activity_kind"]
        reach = rng.choices(horizons, weights=REACH[kind])[0]
        levels = {}
        for criterion in BIA_CRITERIA:
            curve = _curve(rng, reach, criterion == PRIMARY[kind])
            levels.update({(criterion, horizon): level
                           for horizon, level in zip(BIA_HORIZONS, curve, strict=True)})
        status = rng.choices(statuses, weights=weights)[0]
        spec.bias.append(BiaSpec(node.code, [BiaVersionSpec(status, levels)]))

