"""The pcra workbook: the sheets hospitals exchange with pcra (spec: formats/workbook.md).

User guide
==========

A workbook is an Excel ``.xlsx`` file, or a folder (or ``.zip``) of CSV files with one file per
sheet named after the sheet (``Etablissements.csv`` or ``organizations.csv``). Sheets, in
order: **Etablissements** (organizations), **Activites** (activities), **Applications**
(applications), **Composants** (components), **Dependances** (dependencies), **Impacts**
(bia: the business impact analysis, see below). Row 1 holds the
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

from django.utils.translation import gettext_lazy as _

from pcra.inventory.models import ActivityKind, ComponentKind, Hosting, NodeType
from pcra.organizations.models import OrganizationKind
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
