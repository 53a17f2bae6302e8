"""Service windows, business time and SLA policies (the SLA engine)."""
