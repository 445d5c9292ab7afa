"""Writes to the graph. Every write validates meaning, refuses cycles and is audited.

Forms check shape; these services check meaning, and the workbook import calls the same
validators (``node_validate``, ``dependency_validate``) so that both say the same thing.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pcra.inventory import selectors
from pcra.inventory.graph import cycle_if_added
from pcra.inventory.models import Dependency, Node, NodeType
from pcra.organizations.models import Organization, OrganizationKind

NODE_TYPE_FIELDS = {
    NodeType.ACTIVITY: {"activity_kind", "owner", "pdma_hours", "declared_dmia_hours",
                        "declared_dmia_reason"},
    NodeType.APPLICATION: {"vendor", "hosting", "restore_hours_estimate"},
    NodeType.COMPONENT: {"component_kind", "site", "recovery_team", "restore_hours_estimate"},
}
COMMON_FIELDS = {"code", "name", "description", "organization", "attributes"}

#: Checks other apps register to lock fields of a node (e.g. a signed-off BIA locks the
#: activity's PDMA): callables (node, changed field names) -> {field: [messages]}.
_NODE_LOCKS: list = []


def register_node_lock(check) -> None:
    if check not in _NODE_LOCKS:
        _NODE_LOCKS.append(check)


#: Checks other apps register to refuse deleting a node they still use (e.g. its backup
#: copies): callables (node) -> message or None.
_DELETE_GUARDS: list = []


def register_delete_guard(check) -> None:
    _DELETE_GUARDS.append(check)


def node_lock_errors(node: Node, changed: set[str]) -> dict[str, list[str]]:
    """Errors of the registered locks for changing ``changed`` fields of ``node``."""
    errors: dict[str, list[str]] = {}
    for check in _NODE_LOCKS:
        for field, messages in check(node, changed).items():
            errors.setdefault(field, []).extend(messages)
    return errors


def format_cycle(codes: list[str], hidden: set[str] | frozenset[str] = frozenset()) -> str:
    """``A → B → C → A``; codes in ``hidden`` (nodes the reader may not see) are masked."""
    masked = str(_("(outside your scope)"))
    return " → ".join(masked if code in hidden else code for code in codes)


def _visible(viewer, node: Node) -> bool:
    """Whether ``viewer`` (an :class:`~pcra.accounts.access.Access`, or None for a command
    that sees everything) may see ``node``."""
    return viewer is None or viewer.can_read(node.organization_id, top_id=node.top_id)


def node_rules(node: Node, *, organization, same_ght: bool) -> dict[str, list[str]]:
    """The meaning rules of a node that need no database, per field.

    ``organization`` is the node's organization (or None) and ``same_ght`` says whether it
    belongs to the node's GHT. Shared by the web forms (through :func:`node_validate`) and the
    workbook import, so both say the same thing.
    """
    errors: dict[str, list[str]] = {}
    activity_org = _("An activity belongs to a legal entity (EJ) or an establishment (ET).")
    if organization is not None:
        if not same_ght:
            errors.setdefault("organization", []).append(
                _("This organization belongs to another GHT."))
        elif node.node_type == NodeType.ACTIVITY and organization.kind == OrganizationKind.GHT:
            errors.setdefault("organization", []).append(activity_org)
    elif node.node_type == NodeType.ACTIVITY:
        errors.setdefault("organization", []).append(activity_org)
    if node.node_type == NodeType.ACTIVITY and not node.activity_kind:
        errors.setdefault("activity_kind", []).append(_("An activity needs a nature."))
    if node.node_type == NodeType.COMPONENT and not node.component_kind:
        errors.setdefault("component_kind", []).append(_("A component needs a type."))
    if node.declared_dmia_hours is not None and not (node.declared_dmia_reason or "").strip():
        errors.setdefault("declared_dmia_reason", []).append(
            _("A declared DMIA needs a written justification."))
    for name in ("pdma_hours", "declared_dmia_hours", "restore_hours_estimate"):
        value = getattr(node, name)
        if value is not None and value < 0:
            errors.setdefault(name, []).append(_("Must be zero or more."))
    return errors


def node_validate(node: Node) -> None:
    """Raise ValidationError (per field) unless ``node`` makes sense."""
    org = node.organization if node.organization_id is not None else None
    errors = node_rules(node, organization=org,
                        same_ght=org is None or org.top_id == node.top_id)
    try:
        # Database constraints are checked above in words; the database stays the last guard.
        node.full_clean(exclude=["top", "uuid", *errors], validate_unique=False,
                        validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    duplicate = Node.objects.filter(top_id=node.top_id, code=node.code).exclude(pk=node.pk)
    if node.code and duplicate.exists():
        errors.setdefault("code", []).append(
            _("The code %(code)s is already used in this GHT.") % {"code": node.code})
    if errors:
        raise ValidationError(errors)


def _clear_foreign_fields(node: Node) -> None:
    """Empty the columns that do not belong to the node's type."""
    own = NODE_TYPE_FIELDS[node.node_type]
    for fields in NODE_TYPE_FIELDS.values():
        for name in fields - own:
            field = Node._meta.get_field(name)
            setattr(node, name, None if field.null else "")


@transaction.atomic
def node_create(*, top: Organization, node_type: str, **fields) -> Node:
    node = Node(top_id=top.top_id, node_type=node_type)
    for name, value in fields.items():
        setattr(node, name, value)
    _clear_foreign_fields(node)
    node_validate(node)
    node.save()
    return node


@transaction.atomic
def node_update(*, node: Node, **fields) -> Node:
    changed = {name for name, value in fields.items() if getattr(node, name) != value}
    for name, value in fields.items():
        setattr(node, name, value)
    _clear_foreign_fields(node)
    locked = node_lock_errors(node, changed)
    if locked:
        raise ValidationError(locked)
    node_validate(node)
    node.save()
    return node


@transaction.atomic
def node_delete(*, node: Node, viewer=None) -> None:
    """Delete a node and its outgoing edges; refused while other nodes depend on it.

    The refusal names the dependents ``viewer`` may see and only counts the others.
    """
    for guard in _DELETE_GUARDS:
        refusal = guard(node)
        if refusal:
            raise ValidationError(refusal)
    dependents = [d.source for d in node.dependents.select_related("source")
                  .order_by("source__code")]
    if dependents:
        shown = [d.code for d in dependents if _visible(viewer, d)][:10]
        hidden = sum(1 for d in dependents if not _visible(viewer, d))
        sources = ", ".join(shown)
        if hidden:
            extra = ngettext("%(n)d node outside your scope", "%(n)d nodes outside your scope",
                             hidden) % {"n": hidden}
            sources = f"{sources}, {extra}" if sources else extra
        raise ValidationError(
            _("%(code)s cannot be deleted: %(sources)s depend on it. Remove those dependencies "
              "first.") % {"code": node.code, "sources": sources})
    for edge in node.dependencies.select_related("source").all():
        edge.delete()
    node.delete()


def dependency_validate(edge: Dependency, *, adjacency: dict | None = None,
                        codes: dict | None = None, viewer=None) -> None:
    """Raise ValidationError unless the edge makes sense and keeps the graph acyclic."""
    errors: dict[str, list[str]] = {}
    source, target = edge.source, edge.target
    if source.top_id != target.top_id:
        errors.setdefault("target", []).append(_("Both ends must belong to the same GHT."))
    if target.node_type == NodeType.ACTIVITY:
        errors.setdefault("target", []).append(
            _("An activity cannot be depended on: the target must be an application or a "
              "component."))
    if source.pk == target.pk:
        errors.setdefault("target", []).append(_("A node cannot depend on itself."))
    if edge.degraded_autonomy_hours is not None and edge.degraded_autonomy_hours < 0:
        errors.setdefault("degraded_autonomy_hours", []).append(_("Must be zero or more."))
    duplicate = Dependency.objects.filter(source=source, target=target).exclude(pk=edge.pk)
    if duplicate.exists():
        errors.setdefault("target", []).append(
            _("%(s)s already depends on %(t)s.") % {"s": source.code, "t": target.code})
    if not errors:
        adj = adjacency if adjacency is not None else selectors.adjacency(top_id=source.top_id)
        if edge.pk is not None:
            old = Dependency.objects.filter(pk=edge.pk).values_list("source_id", "target_id")
            for s, t in old:
                adj = {k: [x for x in v if not (k == s and x == t)] for k, v in adj.items()}
        cycle = cycle_if_added(adj, source.pk, target.pk)
        if cycle:
            nodes = {n.pk: n for n in Node.objects.filter(pk__in=cycle)}
            names = codes or {pk: n.code for pk, n in nodes.items()}
            hidden = {n.code for n in nodes.values() if not _visible(viewer, n)}
            errors.setdefault("target", []).append(
                _("This dependency would close a cycle: %(cycle)s")
                % {"cycle": format_cycle([names[c] for c in cycle], hidden)})
    if errors:
        raise ValidationError(errors)


def lock_graph(top_id: int) -> None:
    """Serialize writes to one GHT's graph (the cycle check reads the whole graph: two
    concurrent edges could otherwise close a cycle together). A no-op lock on SQLite, whose
    IMMEDIATE transactions already serialize writers."""
    Organization.objects.select_for_update().filter(pk=top_id).first()


@transaction.atomic
def dependency_create(*, source: Node, target: Node, degraded_autonomy_hours=None,
                      redundancy_group: str = "", viewer=None) -> Dependency:
    lock_graph(source.top_id)
    edge = Dependency(top_id=source.top_id, source=source, target=target,
                      degraded_autonomy_hours=degraded_autonomy_hours,
                      redundancy_group=(redundancy_group or "").strip())
    dependency_validate(edge, viewer=viewer)
    edge.save()
    return edge


@transaction.atomic
def dependency_update(*, edge: Dependency, viewer=None, **fields) -> Dependency:
    lock_graph(edge.top_id)
    for name, value in fields.items():
        setattr(edge, name, value)
    edge.redundancy_group = (edge.redundancy_group or "").strip()
    dependency_validate(edge, viewer=viewer)
    edge.save()
    return edge


@transaction.atomic
def dependency_delete(*, edge: Dependency) -> None:
    edge.delete()
