"""interns: manage agents like interns. Task files, supervised workers in sandboxes, and a journal of every run.

The installed package holds the repository's folders as subpackages: `interns.agents` (the runtime and the CLI),
`interns.tasks` (the task file), `interns.sandbox` (where workers act), `interns.journal` (every run, recorded) and
`interns.prompts` (the prompt templates).
"""
