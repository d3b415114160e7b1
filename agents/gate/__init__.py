"""What a person decides: approvals, accept, reject, retry and the time ledger; the CLI and the viewer share it."""
