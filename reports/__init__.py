"""Reports: the self-contained HTML community report."""
