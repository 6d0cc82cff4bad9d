"""Who is calling: the client identity's MSP and NodeOU role, as access rules need them.

With NodeOUs the role is the certificate's OU: "admin" for org administrators, "client" for
applications. An org admin is an identity of that org with OU "admin"; nothing else counts.
"""

from __future__ import annotations

from chaincode.runtime import Context, ContractError

ADMIN_OU = "admin"
CLIENT_OU = "client"


def caller_msp(ctx: Context) -> str:
    return ctx.client_identity.msp_id


def is_admin(ctx: Context) -> bool:
    return ctx.client_identity.has_organizational_unit(ADMIN_OU)


def require_admin(ctx: Context, action: str) -> str:
    """The caller's MSP id, when the caller is an org admin; else a ContractError naming `action`."""
    if not is_admin(ctx):
        raise ContractError(f"only an org admin (OU {ADMIN_OU!r}) may {action}; the caller of "
                            f"{caller_msp(ctx)} is not")
    return caller_msp(ctx)


def require_client_or_admin(ctx: Context, action: str) -> str:
    units = ctx.client_identity.organizational_units
    if CLIENT_OU not in units and ADMIN_OU not in units:
        raise ContractError(f"only a client or admin identity may {action}; the caller of "
                            f"{caller_msp(ctx)} has OUs {list(units)}")
    return caller_msp(ctx)
