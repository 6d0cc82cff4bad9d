"""Durable workflow state for controllers: every exchange's step survives a restart. Every role
keeps its records in one `WorkflowStore`; `ControllerStore` is the base of a role's typed layer."""

from controllers.workflow.controller_store import ControllerStore, LegacyStore
from controllers.workflow.store import StaleVersion, WorkflowExists, WorkflowRecord, WorkflowStore, WorkflowStoreError

__all__ = ["ControllerStore", "LegacyStore", "WorkflowStore", "WorkflowRecord", "WorkflowStoreError", "WorkflowExists", "StaleVersion"]
