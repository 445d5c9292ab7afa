"""The pcra workbook: the sheets hospitals exchange with pcra (spec: formats/workbook.md).

User guide
==========

A workbook is an Excel ``.xlsx`` file, or a folder (or ``.zip``) of CSV files with one file per
sheet named after the sheet (``Etablissements.csv`` or ``organizations.csv``). Sheets, in
order: **Etablissements** (organizations), **Activites** (activities), **Applications**
(applications), **Composants** (components), **Dependances** (dependencies), **Impacts**
(bia: the business impact analysis, see below), **Sauvegardes** (backup_copies) and
**Verifications** (verifications: see "The backup sheets" below). Row 1 holds the
headers: the French label or the English key of each column, in any case, with or without
accents (``Poids d'activité``, ``poids d'activite`` and ``activity_weight`` are the same
column). The order of columns does not matter. ``pcra export_workbook --template PATH`` writes
an empty workbook with the headers, a help sheet (*Aide*) and drop-down lists.

Commands::

    pcra import_workbook PATH [--dry-run] [--ght CODE] [--json]   # exit code 1 on any error
    pcra export_workbook PATH [--ght CODE] [--csv]                 # .xlsx, or a CSV folder
    pcra export_workbook --template PATH                           # the empty template

In the web interface: *Import / export* (``/workbook/import/``: upload, preview, confirm;
``/workbook/export/``; ``/workbook/template/``).

Importing:

* **All or nothing.** The whole workbook is checked first; a single error and nothing changes.
  Every error names its sheet, row (the spreadsheet's row number, headers being row 1), column
  (the header as written) and what is wrong; all errors are listed, not only the first.
  ``--dry-run`` (and the web preview) shows what would change without writing.
* **Codes are the keys.** A row whose code exists updates that organization or node in place;
  a new code creates it. Re-importing the same workbook changes nothing. Dependencies are keyed
  by their (Source, Cible) pair. The import never deletes anything: a row missing from the
  workbook leaves its organization, node or dependency as it is.
* **Absent means unchanged.** A missing sheet changes nothing; a missing optional column keeps
  the stored values of that column; an empty cell in a present column empties the value.
* **One GHT per workbook.** Node codes are unique within the GHT. The GHT is the single top
  organization of the Etablissements sheet, or the one chosen (``--ght CODE`` or the web form),
  or the only one known. A node's *Etablissement* is the code of an EJ or ET; empty means shared
  across the GHT (applications and components only: an activity needs one).
* **Values.** Yes/no cells accept oui/non, yes/no, 1/0, x/empty. Durations are hours, with a
  decimal comma or dot (``1,5`` = ``1.5``), two decimals at most. Dates are ISO 8601
  (``2024-03-31``) or Excel dates. Choices (Type, Nature, Hébergement) are the values listed in
  the template, in any case and with or without accents (``Base de données`` =
  ``base_de_donnees``).
* **Unknown columns** of the node sheets are kept as free attributes of each node and
  exported back as extra columns; elsewhere they are reported and ignored. Unknown sheets are
  reported and ignored.
* **Checks** are those of the web forms: FINESS numbers (9 characters, Luhn key; Corsica
  ``2A``/``2B``), the allowed parents (GHT → EJ → ET), the choice lists, a justification for a
  declared DMIA, no activity as a dependency target, and no dependency cycle (the error names
  the cycle, e.g. ``URG → DPI → SRV1 → URG``).
* **Rights.** In the web interface, changing a row needs an editor or administrator role on its
  establishment; shared nodes and new establishments need that role on the GHT itself.

The Impacts sheet (BIA)
-----------------------

One row per activity and criterion: **Activité** (activity code), **Critère** (criterion code:
``securite_patients``, ``continuite_soins``, ``juridique``, ``financier``, ``image``,
``organisation``; the criterion's label as pcra shows it, in French or English, is accepted
too; codes and labels in any case, with or without accents: ``Continuité_Soins``,
``patient safety``), then one column per horizon: **1h**, **4h**,
**24h**, **72h**, **1sem**, **1mois** (keys ``h1``, ``h4``, ``h24``, ``h72``, ``w1``, ``m1``),
each holding the impact level of an interruption that lasted that long: 0 none, 1 minor,
2 significant, 3 serious, 4 critical (a drop-down in the template). A GHT whose impact scale has
other horizons exchanges them as extra columns headed by the horizon's code.

* A level is a whole number from 0 to 4; ``5``, ``x``, ``2.5`` or ``-1`` is an error naming the
  cell, and nothing changes. An empty cell clears the level; an absent column leaves it as is.
* The levels go into the activity's **current draft** BIA; an activity without BIA gets a
  version 1 draft. When the activity's latest BIA is submitted or signed off, a row that changes
  a level is refused ("start a new version": the BIA page does that); a row that changes
  nothing is fine, so re-importing an export changes nothing.
* The DMIA is computed from the levels (the earliest horizon at which a criterion reaches the
  threshold, 3 by default); the PDMA and a declared DMIA with its justification are columns of
  the Activites sheet, locked as well while the BIA is submitted or signed off.
* Rights: changing a row needs an editor or administrator role on the activity's establishment.
* The export holds every activity (sorted by code) times every criterion (in the scale's
  order), with the levels in force: those of the latest signed-off version, else of the current
  version (a draft being revised does not show until it is signed off); empty cells where
  nothing is assessed, so the sheet is also the grid to fill in.

The backup sheets
-----------------

**Sauvegardes**: one row per copy of a data asset, keyed by (**Donnée**, **Copie**). Donnée is
the code of an application or a component of the GHT (not an activity); its data asset is
created on first use and the copy is created or updated in place. Columns: **Outil** (restic,
borg, veeam, autre), **Dépôt** (repository path or URI, never with a password), **Support**
(disque, nas, objet, bande, cloud, amovible), **Site**, **Hors site**, **Hors ligne**,
**Immuable (jours)** (whole number, 0 = mutable), **Chiffrée**, **MFA administrateurs**,
**Authentification séparée**, **Fréquence (h)**, **Rétention (jours)**, **Dernier succès**
(for copies without a connector), then pcra's optional columns: **Infrastructure** (code of a
backup infrastructure of the GHT), **Fournisseur** (code of a component of type fournisseur
or saas holding the copy), **Réseau segmenté**, **Comptes nominatifs dédiés**, **Tranches de
vérification** and **Vérification toutes les (h)** (the verification rotation).

* The hardening yes/no cells (Chiffrée, MFA administrateurs, Authentification séparée, Réseau
  segmenté, Comptes nominatifs dédiés) may stay empty: empty means *unknown* (never counted as
  met), not *no*. Hors site and Hors ligne are plain yes/no cells (empty = no). An empty
  Immuable, Tranches or Vérification toutes les cell gives the copy form's default (0, 7,
  24 h).
* The checks are those of the copy form, with the same messages (a repository for restic and
  Borg, suppliers of type fournisseur or saas, a verification rotation that fits the
  verification window…).
* **No password, ever.** A column whose header looks like a password or a secret (``Mot de
  passe``, ``password``, ``secret``…) refuses the sheet: store repository passwords, encrypted,
  with ``pcra set_copy_secret DATA_ASSET COPY --password-file FILE`` or on the copy's page.

**Verifications**: one row per verification done outside pcra, as evidence: **Donnée**,
**Copie** (a copy stored in pcra or declared on the Sauvegardes sheet of the same workbook),
**Date** (a date alone is midnight, local time), **Type** (integrite, restauration),
**Résultat** (ok, echec), **Erreurs** (a count: at least 1 for echec, 0 for ok; empty = 0),
**Durée (min)** (minutes), **Volume (Go)** (1 Go = 10^9 bytes), **Commentaire**. Each row is
recorded for the whole copy, with the source *workbook*. The import adds rows, never changes
or deletes one: a row whose copy, date (to the second), type and result match a stored
verification is skipped, so re-importing an export adds nothing.

* Rights: as for the nodes, a row that changes something needs an editor or administrator role
  on the establishment of the Donnée (on the GHT for a shared one). A node, supplier or
  infrastructure the importer may not see is reported as unknown.
* The export holds every copy the user may see, and the verifications of the last 365 days of
  those copies, of every source (workbook, entered by hand, restore tests, collected from the
  engines), except checks of one slice of a rotation or of the structure alone, which the sheet
  could only read back as whole-copy verifications. A supplier or infrastructure the user may
  not see is exported empty, and an empty cell keeps it on import.

Exporting writes the same sheets with French headers, rows sorted by code (dependencies by
source then target), numbers as numbers, free attributes as extra columns, plus the *Aide*
sheet (ignored on import). CSV exports are UTF-8 (with a byte-order mark), ``;``-separated,
decimal dot. In the web interface the export holds what the user may see. The Activites,
Applications and Composants sheets also carry a *Description* column (``description``).

Adding a sheet
==============

Declare its columns and a handler (``handlers.base.SheetHandler``: ``check``, ``apply``,
``export``) with :func:`pcra.workbook.spec.register_sheet`, after the sheets it refers to; the
reader, the importer, the exporter, the template and the help sheet pick it up.
"""

from __future__ import annotations

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from pcra.backups.models import Engine, Media, VerificationKind, VerificationResult
from pcra.inventory.models import ActivityKind, ComponentKind, Hosting, NodeType
from pcra.organizations.models import OrganizationKind
from pcra.workbook.handlers.backups import (
    BackupCopyHandler,
    OptionalBoolColumn,
    VerificationHandler,
)
from pcra.workbook.handlers.dependencies import DependencyHandler
from pcra.workbook.handlers.impacts import ImpactHandler, level_columns
from pcra.workbook.handlers.nodes import NodeHandler
from pcra.workbook.handlers.organizations import OrganizationHandler
from pcra.workbook.spec import Column, Kind, Sheet, register_sheet

CODE_HELP = _("Stable key you choose; unique. Re-importing updates the row with this code.")
NAME_HELP = _("Name shown in pcra.")
DESCRIPTION_HELP = _("Free description (optional).")
RESTORE_HELP = _("Estimated restore time in hours, used until a restore test measures it.")

ORGANIZATIONS = register_sheet(Sheet(
    key="organizations",
    label="Etablissements",
    help=_("The GHT, its legal entities (EJ) and their establishments (ET)."),
    handler=OrganizationHandler,
    columns=(
        Column("code", "Code", Kind.CODE, required=True, help=CODE_HELP),
        Column("name", "Nom", required=True, help=NAME_HELP),
        Column("kind", "Type", Kind.CHOICE, required=True, choices=OrganizationKind.choices,
               help=_("GHT, EJ (legal entity) or ET (establishment).")),
        Column("parent", "Parent", Kind.REF,
               help=_("Code of the GHT (for an EJ) or of the EJ (for an ET); empty for a GHT.")),
        Column("finess", "FINESS",
               help=_("FINESS number, 9 characters with a check digit; required for EJ and "
                      "ET.")),
        Column("activity_weight", "Poids d'activité", Kind.DECIMAL,
               # xgettext:no-python-format
               help=_("Beds, stays or budget share (number, zero or more), for the CaRE 66 % "
                      "coverage rule.")),
    ),
))

ACTIVITIES = register_sheet(Sheet(
    key="activities",
    label="Activites",
    help=_("Care services, administrative processes, medico-technical platforms, support."),
    handler=NodeHandler,
    keeps_unknown=True,
    options={"node_type": NodeType.ACTIVITY},
    columns=(
        Column("code", "Code", Kind.CODE, required=True, help=CODE_HELP),
        Column("name", "Nom", required=True, help=NAME_HELP),
        Column("organization", "Etablissement", Kind.REF, required=True,
               help=_("Code of the legal entity (EJ) or establishment (ET) running the "
                      "activity.")),
        Column("kind", "Nature", Kind.CHOICE, required=True, choices=ActivityKind.choices,
               field="activity_kind", help=_("Nature of the activity.")),
        Column("owner", "Référent",
               help=_("Name or e-mail of the business referent.")),
        Column("pdma_hours", "PDMA (h)", Kind.HOURS,
               help=_("Maximum tolerable data loss (required RPO), in hours.")),
        Column("declared_dmia_hours", "DMIA déclarée (h)", Kind.HOURS,
               help=_("Optional override of the DMIA computed from the BIA, in hours; needs "
                      "a justification.")),
        Column("declared_dmia_reason", "Justification",
               help=_("Why the declared DMIA overrides the computed one (required with it).")),
        Column("description", "Description", help=DESCRIPTION_HELP),
    ),
))

APPLICATIONS = register_sheet(Sheet(
    key="applications",
    label="Applications",
    help=_("Software applications (DPI, PACS, laboratory system…)."),
    handler=NodeHandler,
    keeps_unknown=True,
    options={"node_type": NodeType.APPLICATION},
    columns=(
        Column("code", "Code", Kind.CODE, required=True, help=CODE_HELP),
        Column("name", "Nom", required=True, help=NAME_HELP),
        Column("vendor", "Editeur", help=_("Software vendor.")),
        Column("organization", "Etablissement", Kind.REF,
               help=_("Code of the EJ or ET using it; empty = shared across the GHT.")),
        Column("hosting", "Hébergement", Kind.CHOICE, choices=Hosting.choices,
               help=_("Where it runs.")),
        Column("restore_hours_estimate", "Durée de restauration estimée (h)", Kind.HOURS,
               help=RESTORE_HELP),
        Column("description", "Description", help=DESCRIPTION_HELP),
    ),
))

COMPONENTS = register_sheet(Sheet(
    key="components",
    label="Composants",
    help=_("Infrastructure: servers, VMs, databases, storage, network, directory, sites, "
           "power, SaaS, suppliers, people."),
    handler=NodeHandler,
    keeps_unknown=True,
    options={"node_type": NodeType.COMPONENT},
    columns=(
        Column("code", "Code", Kind.CODE, required=True, help=CODE_HELP),
        Column("name", "Nom", required=True, help=NAME_HELP),
        Column("kind", "Type", Kind.CHOICE, required=True, choices=ComponentKind.choices,
               field="component_kind", help=_("Type of component.")),
        Column("site", "Site", help=_("Code of a component of type site, or free text.")),
        Column("organization", "Etablissement", Kind.REF,
               help=_("Code of the EJ or ET owning it; empty = shared across the GHT.")),
        Column("restore_hours_estimate", "Durée de restauration estimée (h)", Kind.HOURS,
               help=RESTORE_HELP),
        Column("recovery_team", "Equipe de reprise",
               help=_("Team that restores it (for the recovery schedule).")),
        Column("description", "Description", help=DESCRIPTION_HELP),
    ),
))

DEPENDENCIES = register_sheet(Sheet(
    key="dependencies",
    label="Dependances",
    help=_("One row per dependency: Source depends on Cible."),
    handler=DependencyHandler,
    columns=(
        Column("source", "Source", Kind.REF, required=True,
               help=_("Code of the activity, application or component that depends.")),
        Column("target", "Cible", Kind.REF, required=True,
               help=_("Code of the application or component it depends on (not an "
                      "activity).")),
        Column("degraded_autonomy_hours", "Autonomie en mode dégradé (h)", Kind.HOURS,
               help=_("How many hours the source keeps running without the target (degraded "
                      "mode).")),
        Column("redundancy_group", "Groupe de redondance",
               help=_("Dependencies of one source sharing a group are alternatives: one "
                      "suffices.")),
    ),
))

IMPACTS = register_sheet(Sheet(
    key="bia",
    label="Impacts",
    help=_("Business impact analysis: one row per activity and criterion, the impact level "
           "(0 none, 1 minor, 2 significant, 3 serious, 4 critical) at each horizon. The levels "
           "go into the activity's draft BIA."),
    handler=ImpactHandler,
    columns=(
        Column("activity", "Activité", Kind.REF, required=True,
               help=_("Code of the activity.")),
        Column("criterion", "Critère", Kind.REF, required=True,
               help=_("Impact criterion: securite_patients, continuite_soins, juridique, "
                      "financier, image, organisation (or its label).")),
        *level_columns(),
    ),
))

UNKNOWN_HELP = _("Empty = unknown (never counted as met); yes/no, 1/0 and x are accepted "
                 "too.")


def unknown_help(text):
    """The help of a yes/no column whose empty cell means unknown (translated lazily)."""
    return format_lazy("{} {}", text, UNKNOWN_HELP)

BACKUP_COPIES = register_sheet(Sheet(
    key="backup_copies",
    label="Sauvegardes",
    help=_("One row per copy of a data asset (the data of an application or component): "
           "restic or Borg repository, Veeam job, NAS snapshot, tape… Never a password: store "
           "it with `pcra set_copy_secret`."),
    handler=BackupCopyHandler,
    columns=(
        Column("data_asset", "Donnée", Kind.REF, required=True,
               help=_("Code of the application or component whose data is copied.")),
        Column("name", "Copie", required=True,
               help=_("Name of the copy, unique per data asset. Re-importing updates the copy "
                      "with this name.")),
        Column("engine", "Outil", Kind.CHOICE, required=True, choices=Engine.choices,
               help=_("Backup tool: pcra reads restic and Borg repositories itself.")),
        Column("repository", "Dépôt",
               help=_("Repository path or URI (no password here); required for restic and "
                      "Borg.")),
        Column("media", "Support", Kind.CHOICE, required=True, choices=Media.choices,
               help=_("Where the copy is stored.")),
        Column("site", "Site", help=_("Site holding the copy.")),
        Column("offsite", "Hors site", Kind.BOOL,
               help=_("The copy is on another site than the production data.")),
        Column("offline", "Hors ligne", Kind.BOOL,
               help=_("The copy is disconnected (tape out of the library, removable media…).")),
        Column("immutable_days", "Immuable (jours)", Kind.INT,
               help=_("Days during which the copy cannot be changed or deleted (whole "
                      "number); 0 = mutable.")),
        OptionalBoolColumn("encrypted", "Chiffrée",
                           help=unknown_help(_("The copy is encrypted."))),
        OptionalBoolColumn("admin_mfa", "MFA administrateurs",
                           help=unknown_help(_("Its administrators log in with multi-factor "
                                               "authentication."))),
        OptionalBoolColumn("separate_auth", "Authentification séparée",
                           help=unknown_help(_("Its authentication is not the production "
                                               "Active Directory."))),
        Column("frequency_hours", "Fréquence (h)", Kind.HOURS,
               help=_("Hours between two backups.")),
        Column("retention_days", "Rétention (jours)", Kind.INT,
               help=_("Days a restore point is kept (whole number).")),
        Column("last_success", "Dernier succès", Kind.DATE, field="declared_last_success",
               help=_("Last successful backup, for copies without a connector (local time).")),
        Column("infrastructure", "Infrastructure", Kind.REF,
               help=_("pcra extension: code of the backup infrastructure (server, zone) of the "
                      "GHT holding the copy.")),
        Column("supplier", "Fournisseur", Kind.REF,
               help=_("pcra extension: code of the supplier or SaaS component holding the "
                      "copy, if any.")),
        OptionalBoolColumn("segmented", "Réseau segmenté",
                           help=unknown_help(_("pcra extension: segmented network, quick "
                                               "isolation."))),
        OptionalBoolColumn("named_admin_accounts", "Comptes nominatifs dédiés",
                           help=unknown_help(_("pcra extension: dedicated named "
                                               "administrator accounts."))),
        Column("verify_slices", "Tranches de vérification", Kind.INT,
               help=_("pcra extension: the data is read in this many slices, one per "
                      "verification (restic); empty = 7.")),
        Column("verify_interval_hours", "Vérification toutes les (h)", Kind.HOURS,
               help=_("pcra extension: hours between two verifications pcra runs; empty = "
                      "24.")),
    ),
))

VERIFICATIONS = register_sheet(Sheet(
    key="verifications",
    label="Verifications",
    help=_("Past integrity checks and restore tests, as evidence: one row per verification of "
           "a copy (stored in pcra or on the Sauvegardes sheet). Rows already known are "
           "skipped."),
    handler=VerificationHandler,
    columns=(
        Column("data_asset", "Donnée", Kind.REF, required=True,
               help=_("Code of the application or component whose data is copied.")),
        Column("copy", "Copie", required=True, help=_("Name of the copy.")),
        Column("date", "Date", Kind.DATE, required=True, field="performed_at",
               help=_("When the verification was done (local time; a date alone is "
                      "midnight).")),
        Column("kind", "Type", Kind.CHOICE, required=True, choices=VerificationKind.choices,
               help=_("integrite: integrity check; restauration: full restore test with "
                      "content verification.")),
        Column("result", "Résultat", Kind.CHOICE, required=True,
               choices=VerificationResult.choices, help=_("Outcome.")),
        Column("errors", "Erreurs", Kind.INT, field="error_count",
               help=_("Number of errors: at least 1 for echec, 0 for ok; empty = 0.")),
        Column("duration_minutes", "Durée (min)", Kind.DECIMAL, field="duration_seconds",
               help=_("Duration in minutes.")),
        Column("size_gb", "Volume (Go)", Kind.DECIMAL, field="size_bytes", places=3,
               help=_("Volume checked or restored, in Go (1 Go = 10^9 bytes).")),
        Column("notes", "Commentaire", field="notes", help=_("Free comment.")),
    ),
))
