"""Which public numbers each tenant may use: the carrier's assignments (security issue 21).

Numbers belong to the carrier. The platform operator assigns numbers and blocks of numbers
(vpbx.model.number_blocks) to tenants — in the platform file (`numbers:`), on the operators'
Numbers page or through the operators' API — and a tenant uses only numbers assigned to it:
as global numbers, as direct numbers, and so as caller ID (a presentation rule shows one of
the tenant's numbers). An assignment names its tenant by short name, so that a platform file
can assign numbers before the tenant file that uses them is applied; deleting a tenant gives
its numbers back to the carrier (its assignments go with it).

The rules, shared by every writer (`problems`):
  - blocks do not overlap: a number is assigned to one tenant at most;
  - every number a tenant uses stays assigned to that tenant (an assignment still in use
    cannot be removed or given to another tenant).
And the tenants' side, checked with the rest of a tenant file (vpbx.provisioning.rules): a global or
direct number must be assigned to the tenant (`unassigned`).

Every query names its tenant, except those that read the carrier's whole table.
"""
from dataclasses import dataclass

from vpbx.model.number_blocks import Block, BlockError, owner_of
from vpbx.provisioning.changes import transaction
from vpbx.reasons import Reason


@dataclass(frozen=True)
class Assignment:
    """A block of numbers assigned to the tenant with the short name `tenant`."""
    id: int | None
    tenant: str
    block: Block


@dataclass(frozen=True)
class Use:
    """A number a tenant uses: as a global number (`kind` "number", `detail` its label) or
    as a user's direct number ("user", the extension and name)."""
    number: str
    tenant: str
    kind: str
    detail: str

    def describe(self) -> Reason:
        """"user 7956 (Julien)", "number +41215667955": how a problem names the use."""
        if self.kind == "user":
            return Reason("use_user", detail=self.detail)
        return Reason("item_number", key=self.number)


def read(cur, tenant: str | None = None) -> list[Assignment]:
    """The assignments, by tenant then block; only `tenant`'s when it is given."""
    if tenant is None:
        cur.execute("SELECT id, tenant_slug, block FROM number_assignments")
    else:
        cur.execute("SELECT id, tenant_slug, block FROM number_assignments"
                    " WHERE tenant_slug = %s", (tenant,))
    found = [Assignment(row["id"], row["tenant_slug"], Block.parse(row["block"]))
             for row in cur.fetchall()]
    return sorted(found, key=lambda a: (a.tenant, a.block))


def uses(cur, tenant: str | None = None) -> list[Use]:
    """The numbers tenants use (global numbers and direct numbers); only `tenant`'s when
    it is given."""
    where, args = ("", ()) if tenant is None else (" AND t.slug = %s", (tenant,) * 2)
    cur.execute("SELECT n.number, t.slug, 'number' AS kind, n.label AS detail"
                " FROM global_numbers n JOIN tenants t ON t.id = n.tenant_id WHERE 1 = 1"
                + where + " UNION ALL"
                " SELECT u.direct_number, t.slug, 'user', CONCAT(u.extension, ' (', u.name, ')')"
                " FROM users u JOIN tenants t ON t.id = u.tenant_id"
                " WHERE u.direct_number IS NOT NULL" + where, args)
    return sorted((Use(row["number"], row["slug"], row["kind"], row["detail"])
                   for row in cur.fetchall()), key=lambda use: use.number)


def problems(assignments: list[Assignment], in_use: list[Use]) -> list[tuple[int, Reason]]:
    """Why these assignments (the whole table as it would be) cannot be stored, as (index
    of the assignment it is about, or -1, reason) pairs; none: they can."""
    found = []
    for index, assignment in enumerate(assignments):
        for other in assignments[:index]:
            if assignment.block.overlaps(other.block):
                found.append((index, Reason("block_overlap", block=str(assignment.block),
                                            other=str(other.block), tenant=other.tenant)))
    pairs = [(a.tenant, a.block) for a in assignments]
    for use in in_use:
        owner = owner_of(use.number, pairs)
        if owner != use.tenant:
            index = next((i for i, a in enumerate(assignments) if a.block.contains(use.number)),
                         -1)
            found.append((index, Reason("block_in_use", number=use.number, tenant=use.tenant,
                                        use=use.describe())))
    return found


def unassigned(cur, tenant: str, numbers: list[str]) -> list[str]:
    """Those of `numbers` that are not assigned to `tenant`."""
    mine = [("", assignment.block) for assignment in read(cur, tenant)]
    return [number for number in numbers if owner_of(number, mine) is None]


def parse_block(text) -> Block:
    """A block as an operator writes it; BlockError says why it is not one."""
    return Block.parse(text)


# ---- the operators' changes (page and API): one assignment at a time ----------------------

class NotFound(LookupError):
    """No such assignment, or no such tenant."""


def assign(conn, tenant: str, text: str) -> tuple[Assignment | None, list[Reason]]:
    """Assign the block `text` to the existing tenant `tenant`: (the assignment, []) or
    (None, the reasons about the block) with nothing stored; NotFound without such tenant."""
    try:
        block = parse_block(text)
    except BlockError as exc:
        return None, [exc.reason]
    with transaction(conn) as cur:
        cur.execute("SELECT id FROM tenants WHERE slug = %s", (tenant,))
        if cur.fetchone() is None:
            raise NotFound(f"no tenant {tenant}")
        current = read(cur)
        reasons = [reason for index, reason in
                   problems(current + [Assignment(None, tenant, block)], uses(cur))
                   if index in (len(current), -1)]
        if reasons:
            return None, reasons
        cur.execute("INSERT INTO number_assignments (tenant_slug, block) VALUES (%s, %s)",
                    (tenant, str(block)))
        return Assignment(cur.lastrowid, tenant, block), []


def unassign(conn, assignment_id: int) -> list[Reason]:
    """Give an assignment's numbers back to the carrier; the reasons it is refused (each
    number of it the tenant still uses), nothing changed then. NotFound when there is no
    such assignment."""
    with transaction(conn) as cur:
        current = read(cur)
        gone = next((a for a in current if a.id == assignment_id), None)
        if gone is None:
            raise NotFound(f"no assignment {assignment_id}")
        still = [use for use in uses(cur, gone.tenant) if gone.block.contains(use.number)]
        if still:
            return [Reason("number_still_used", number=use.number, use=use.describe())
                    for use in still]
        cur.execute("DELETE FROM number_assignments WHERE id = %s AND tenant_slug = %s",
                    (assignment_id, gone.tenant))
    return []


# ---- what a tenant sees: its numbers, used and free -------------------------------------------

@dataclass(frozen=True)
class BlockUsage:
    """One of a tenant's blocks: the uses of its numbers, and its free numbers (`free` is
    their count, None for a prefix; `free_listed` the first of them)."""
    assignment: Assignment
    used: list[Use]
    free: int | None
    free_listed: list[str]


def usage(conn, tenant: str) -> list[BlockUsage]:
    """The tenant's assigned blocks with what uses each number and the numbers left free."""
    with conn.cursor() as cur:
        mine, in_use = read(cur, tenant), uses(cur, tenant)
    found = []
    for assignment in mine:
        used = [use for use in in_use if assignment.block.contains(use.number)]
        taken = {use.number for use in used}
        size = assignment.block.size
        free = None if size is None else size - len(taken)
        listed = [number for number in assignment.block.numbers() if number not in taken]
        found.append(BlockUsage(assignment, used, free, listed))
    return found


def all_usage(conn) -> list[BlockUsage]:
    """Every assignment of the platform with its uses (the operators' page and API)."""
    with conn.cursor() as cur:
        current, in_use = read(cur), uses(cur)
    result = []
    for assignment in current:
        used = [use for use in in_use
                if use.tenant == assignment.tenant and assignment.block.contains(use.number)]
        size = assignment.block.size
        result.append(BlockUsage(assignment, used,
                                 None if size is None else size - len(used), []))
    return result


def free_numbers(conn, tenant: str, limit: int = 200) -> list[str]:
    """The first `limit` numbers assigned to the tenant that nothing uses (what its number
    fields offer)."""
    found = [number for row in usage(conn, tenant) for number in row.free_listed]
    return found[:limit]
