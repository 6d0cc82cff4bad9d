"""Batch mode: many consented bills through one EmissionsIssuer, customers in parallel, with a
progress bar. A failed bill is reported with its reason and does not stop the others; rerunning
the same batch resumes every bill where it stopped."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from controllers.issuance.bill import ConsentedBill
from controllers.issuance.issuer import EmissionsIssuer, IssuedCredential
from controllers.issuance.progress import ProgressBar

__all__ = ["BatchResult", "issue_batch"]


@dataclass
class BatchResult:
    issued: list[IssuedCredential] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # bill id -> reason

    @property
    def ok(self) -> bool:
        return not self.failed


async def issue_batch(issuer: EmissionsIssuer, bills: Sequence[ConsentedBill], *, concurrency: int = 8,
                      progress: ProgressBar | None = None) -> BatchResult:
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    result = BatchResult()
    gate = asyncio.Semaphore(concurrency)

    async def one(bill: ConsentedBill) -> None:
        async with gate:
            try:
                issued = await issuer.issue_bill(bill)
            except Exception as exc:  # noqa: BLE001 - one bill's failure is reported, the batch goes on
                result.failed[bill.bill_id] = str(exc) or type(exc).__name__
                if progress is not None:
                    progress.advance(ok=False)
                return
        result.issued.extend(issued)
        if progress is not None:
            progress.advance()

    await asyncio.gather(*(one(bill) for bill in bills))
    result.issued.sort(key=lambda c: (c.bill_id, c.period_start))
    return result
