"""The worker: a pydantic-ai agent on one step, its tools, its MCP toolsets and the model it runs on."""
