"""Human-readable renderings of an analysis (terminal summary now; figures and HTML later)."""
