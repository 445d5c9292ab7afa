"""The dependency graph: activities, applications, components (and suppliers) and the edges
"source depends on target" between them (DESIGN §4.2).

All nodes live in one table (``Node``) so that the graph is one table of nodes and one of edges:
traversals load two flat lists whatever the node types. ``Activity``, ``Application``,
``Component`` and ``Supplier`` are proxy models with their own managers, forms and pages; the
type-specific columns are empty for the other types (enforced by check constraints).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from pcra.core import audit


class NodeType(models.TextChoices):
    ACTIVITY = "activity", _("Activity")
    APPLICATION = "application", _("Application")
    COMPONENT = "component", _("Component")


class ActivityKind(models.TextChoices):
    CARE = "soins", _("Care service")
    ADMINISTRATIVE = "administratif", _("Administrative process")
    TECHNICAL_PLATFORM = "plateau_technique", _("Medico-technical platform")
    SUPPORT = "support", _("Support")


class Hosting(models.TextChoices):
    LOCAL = "local", _("On premises")
    HDS = "hebergeur_hds", _("Certified health data host (HDS)")
    SAAS = "saas", _("SaaS")


class ComponentKind(models.TextChoices):
    SERVER = "serveur", _("Server")
    VM = "vm", _("Virtual machine")
    DATABASE = "base_de_donnees", _("Database")
    STORAGE = "stockage", _("Storage")
    NETWORK = "reseau", _("Network")
    DIRECTORY = "annuaire", _("Directory (AD)")
    HYPERVISOR = "hyperviseur", _("Hypervisor")
    SITE = "site", _("Site")
    POWER = "energie", _("Power")
    SAAS = "saas", _("SaaS service")
    SUPPLIER = "fournisseur", _("Supplier")
    PEOPLE = "personnel", _("People")
    OTHER = "autre", _("Other")


class NodeQuerySet(models.QuerySet):
    def activities(self):
        return self.filter(node_type=NodeType.ACTIVITY)

    def applications(self):
        return self.filter(node_type=NodeType.APPLICATION)

    def components(self):
        return self.filter(node_type=NodeType.COMPONENT)


@audit.register
class Node(models.Model):
    """A node of the dependency graph: an activity, an application or a component.

    ``top`` is the GHT (or the EJ outside a GHT) the node belongs to: codes are unique within it
    and edges never leave it. ``organization`` is the EJ or ET that owns the node; empty means
    shared across the whole GHT (a GHT-wide application, a shared data centre).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    top = models.ForeignKey("organizations.Organization", verbose_name=_("GHT"),
                            on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey("organizations.Organization",
                                     verbose_name=_("establishment"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="nodes",
                                     help_text=_("Empty = shared across the GHT."))
    node_type = models.CharField(_("node type"), max_length=12, choices=NodeType.choices,
                                 db_index=True)
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # Activity
    activity_kind = models.CharField(_("nature"), max_length=20, blank=True,
                                     choices=ActivityKind.choices)
    owner = models.CharField(_("business referent"), max_length=200, blank=True,
                             help_text=_("Name or e-mail of the business referent."))
    pdma_hours = models.DecimalField(_("PDMA (h)"), max_digits=10, decimal_places=2,
                                     null=True, blank=True,
                                     help_text=_("Maximum tolerable data loss (required RPO), "
                                                 "in hours."))
    declared_dmia_hours = models.DecimalField(
        _("declared DMIA (h)"), max_digits=10, decimal_places=2, null=True, blank=True,
        help_text=_("Overrides the DMIA computed from the BIA; needs a justification."))
    declared_dmia_reason = models.TextField(_("justification"), blank=True)
    # Application
    vendor = models.CharField(_("vendor"), max_length=200, blank=True)
    hosting = models.CharField(_("hosting"), max_length=20, blank=True, choices=Hosting.choices)
    # Component
    component_kind = models.CharField(_("component type"), max_length=20, blank=True,
                                      choices=ComponentKind.choices)
    site = models.CharField(_("site"), max_length=200, blank=True,
                            help_text=_("Code of a site component, or free text."))
    recovery_team = models.CharField(_("recovery team"), max_length=100, blank=True)
    # Application and component
    restore_hours_estimate = models.DecimalField(
        _("estimated restore time (h)"), max_digits=10, decimal_places=2, null=True, blank=True,
        help_text=_("Declared estimate, used until a restore test measures it."))
    attributes = models.JSONField(_("other attributes"), default=dict, blank=True,
                                  help_text=_("Columns of imported workbooks that pcra does not "
                                              "know, kept as they were."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = NodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("node")
        verbose_name_plural = _("nodes")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["top", "code"], name="node_code_unique_in_top"),
            models.CheckConstraint(
                condition=models.Q(node_type="activity") | models.Q(activity_kind=""),
                name="node_activity_fields_only_on_activities"),
            models.CheckConstraint(
                condition=~models.Q(node_type="activity") | ~models.Q(activity_kind=""),
                name="node_activity_has_kind"),
            models.CheckConstraint(
                condition=~models.Q(node_type="component") | ~models.Q(component_kind=""),
                name="node_component_has_kind"),
            models.CheckConstraint(
                condition=models.Q(node_type="component") | models.Q(component_kind=""),
                name="node_component_kind_only_on_components"),
            models.CheckConstraint(
                condition=models.Q(declared_dmia_hours__isnull=True)
                | ~models.Q(declared_dmia_reason=""),
                name="node_declared_dmia_needs_reason"),
            models.CheckConstraint(
                condition=models.Q(pdma_hours__isnull=True) | models.Q(pdma_hours__gte=0),
                name="node_pdma_positive"),
            models.CheckConstraint(
                condition=models.Q(restore_hours_estimate__isnull=True)
                | models.Q(restore_hours_estimate__gte=0),
                name="node_restore_estimate_positive"),
        ]
        indexes = [models.Index(fields=["top", "node_type", "code"])]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"

    def audit_organization_id(self) -> int | None:
        return self.organization_id or self.top_id

    @property
    def is_supplier(self) -> bool:
        return self.component_kind == ComponentKind.SUPPLIER

    @property
    def kind_label(self) -> str:
        if self.node_type == NodeType.ACTIVITY:
            return self.get_activity_kind_display()
        if self.node_type == NodeType.COMPONENT:
            return self.get_component_kind_display()
        return self.get_hosting_display() or str(NodeType.APPLICATION.label)


class _TypedManager(models.Manager):
    def __init__(self, node_type: str, **extra):
        super().__init__()
        self.node_type = node_type
        self.extra = extra

    def get_queryset(self):
        return NodeQuerySet(self.model, using=self._db).filter(node_type=self.node_type,
                                                                **self.extra)


class Activity(Node):
    """A care service, administrative process, medico-technical platform or support activity."""

    objects = _TypedManager(NodeType.ACTIVITY)

    class Meta:
        proxy = True
        verbose_name = _("activity")
        verbose_name_plural = _("activities")


class Application(Node):
    """A software application (DPI, PACS, SIL…)."""

    objects = _TypedManager(NodeType.APPLICATION)

    class Meta:
        proxy = True
        verbose_name = _("application")
        verbose_name_plural = _("applications")


class Component(Node):
    """Infrastructure: server, VM, database, storage, network, directory, site, power…"""

    objects = _TypedManager(NodeType.COMPONENT)

    class Meta:
        proxy = True
        verbose_name = _("component")
        verbose_name_plural = _("components")


class Supplier(Node):
    """A supplier: a component of type ``fournisseur`` (SaaS and services depend on it)."""

    objects = _TypedManager(NodeType.COMPONENT, component_kind=ComponentKind.SUPPLIER)

    class Meta:
        proxy = True
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")


for _proxy in (Activity, Application, Component, Supplier):
    audit.register(_proxy)


@audit.register
class Dependency(models.Model):
    """Edge "``source`` depends on ``target``".

    ``degraded_autonomy_hours``: how long the source keeps running without the target (only
    delays the impact). ``redundancy_group``: edges of the same source sharing a non-empty group
    are alternatives, one working target suffices.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    top = models.ForeignKey("organizations.Organization", verbose_name=_("GHT"),
                            on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey(Node, verbose_name=_("source"), on_delete=models.CASCADE,
                               related_name="dependencies")
    target = models.ForeignKey(Node, verbose_name=_("depends on"), on_delete=models.PROTECT,
                               related_name="dependents")
    degraded_autonomy_hours = models.DecimalField(
        _("degraded-mode autonomy (h)"), max_digits=10, decimal_places=2, null=True, blank=True,
        help_text=_("How long the source keeps running without the target."))
    redundancy_group = models.CharField(
        _("redundancy group"), max_length=64, blank=True,
        help_text=_("Edges of one source sharing a group are alternatives: one suffices."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("dependency")
        verbose_name_plural = _("dependencies")
        ordering = ["source__code", "target__code"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="dependency_unique_edge"),
            models.CheckConstraint(condition=~models.Q(source=models.F("target")),
                                   name="dependency_no_self_loop"),
            models.CheckConstraint(
                condition=models.Q(degraded_autonomy_hours__isnull=True)
                | models.Q(degraded_autonomy_hours__gte=0),
                name="dependency_autonomy_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.source.code} → {self.target.code}"

    def audit_organization_id(self) -> int | None:
        """The organization whose auditors may read this edge's audit entries: one that sees
        both ends (the entry names both codes). The source's organization when the target is
        shared or in the same organization, else the nearest common ancestor (an EJ or the
        GHT)."""
        source_org = self.source.organization
        target_org = self.target.organization
        if source_org is None:
            return self.top_id
        if target_org is None or target_org.pk == source_org.pk:
            return source_org.pk
        ancestors = []
        current = source_org
        while current is not None:
            ancestors.append(current.pk)
            current = current.parent
        current = target_org
        while current is not None:
            if current.pk in ancestors:
                return current.pk
            current = current.parent
        return self.top_id
