"""Follow-up of recommendations and the monitoring dashboard: figures, charts, reports."""
