"""The package's public surface is exactly the intended names."""

from __future__ import annotations

from interns import tasks


def test_the_exported_names_are_the_intended_ones() -> None:
    assert sorted(tasks.__all__) == sorted(
        [
            "TaskSpec",
            "Step",
            "Guardrails",
            "CommandExamples",
            "CommandRules",
            "Limits",
            "Outputs",
            "Context",
            "Review",
            "RepoWorkspace",
            "FolderWorkspace",
            "ALL_TOOLS",
            "line_of",
            "load",
            "load_text",
            "TaskFileError",
            "Problem",
            "topological_order",
            "plan_levels",
            "find_cycle",
            "json_schema",
            "Check",
            "BuiltinCheck",
            "FileCheck",
            "NoMarkersCheck",
            "PreservesCheck",
            "Preservation",
            "NotCopiedCheck",
            "CopyLimit",
            "RubricCheck",
            "NetworkRules",
            "CredentialRule",
            "MARKER_KINDS",
            "check_kind",
            "describe_check",
            "parse_data",
            "read_schema",
            "schema_problems",
            "McpServer",
            "McpToolRules",
            "ModelEndpoint",
            "ModelSettingsSpec",
            "DEFAULT_ASK",
            "servers_for",
            "Param",
            "ParamValue",
            "param_values",
            "parse_assignments",
        ]
    )
    for name in tasks.__all__:
        assert getattr(tasks, name) is not None, name


def test_public_functions_and_classes_have_docstrings() -> None:
    missing = [name for name in tasks.__all__ if callable(getattr(tasks, name)) and not getattr(tasks, name).__doc__]

    assert missing == []
