"""Confinement behind the namespaces: the launcher (rlimits, Landlock), the seccomp filter, a pids cgroup."""
