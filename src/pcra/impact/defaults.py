"""The default impact scale (DESIGN §4.3): criteria, horizons, threshold, criticality classes.

Every GHT starts from these and may change them (pcra.impact.services.scale_*). Texts are
translatable; the codes are the stable keys used by the workbook's Impacts sheet.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

LEVELS = [
    (0, _("None")),
    (1, _("Minor")),
    (2, _("Significant")),
    (3, _("Serious")),
    (4, _("Critical")),
]

#: (code, label, description of each level 0..4)
CRITERIA = [
    ("securite_patients", _("Patient safety"), [
        _("No effect on patients."),
        _("Discomfort or delay without consequence for health."),
        _("Loss of chance possible for some patients; care delayed."),
        _("Harm to patients likely (wrong treatment, missed diagnosis)."),
        _("Life-threatening for patients; deaths possible."),
    ]),
    ("continuite_soins", _("Continuity of care"), [
        _("Care goes on normally."),
        _("Care slowed down; paper procedures suffice."),
        _("Some care postponed; degraded mode strained."),
        _("Care interrupted for part of the patients; transfers needed."),
        _("Service closed or patients diverted to other hospitals."),
    ]),
    ("juridique", _("Legal and regulatory"), [
        _("No breach."),
        _("Minor formal breach."),
        _("Breach to be reported (e.g. traceability gaps)."),
        _("Serious breach: authority notification, possible sanctions."),
        _("Criminal or major liability; loss of authorisation."),
    ]),
    ("financier", _("Financial"), [
        _("No loss."),
        _("Loss under €10k."),
        _("Loss from €10k to €100k."),
        _("Loss from €100k to €1M."),
        _("Loss above €1M or cash-flow crisis."),
    ]),
    ("image", _("Image and trust"), [
        _("No visibility."),
        _("Internal complaints."),
        _("Local media coverage, patient complaints."),
        _("Regional or national media; trust of patients shaken."),
        _("Lasting loss of trust of patients, staff and authorities."),
    ]),
    ("organisation", _("Organisation"), [
        _("No disruption."),
        _("Extra workload absorbed by the teams."),
        _("Reorganisation needed; overtime."),
        _("Crisis organisation; staff exhausted."),
        _("Service cannot be organised any more."),
    ]),
]

#: (code, label, hours)
HORIZONS = [
    ("h1", _("1 h"), 1),
    ("h4", _("4 h"), 4),
    ("h24", _("24 h"), 24),
    ("h72", _("72 h"), 72),
    ("w1", _("1 week"), 168),
    ("m1", _("1 month"), 720),
]

THRESHOLD = 3

#: (upper bound in hours, class code): DMIA ≤ bound → class; no DMIA → "non-critical"
CRITICALITY_CLASSES = [[4, "P1"], [24, "P2"], [72, "P3"], [None, "P4"]]
