"""CLI command modules registered in graphcrm.cli."""
