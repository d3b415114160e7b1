"""Every allow / ask / deny decision: paths, commands (with the shell parser), MCP tools and withheld keys."""
