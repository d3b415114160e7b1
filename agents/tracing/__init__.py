"""OpenTelemetry traces of runs, exported only where `OTEL_EXPORTER_OTLP_ENDPOINT` names a collector."""
