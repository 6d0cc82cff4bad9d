"""Durable workflow state for controllers: every exchange's step survives a restart."""

from controllers.workflow.store import StaleVersion, WorkflowExists, WorkflowRecord, WorkflowStore, WorkflowStoreError

__all__ = ["WorkflowStore", "WorkflowRecord", "WorkflowStoreError", "WorkflowExists", "StaleVersion"]
