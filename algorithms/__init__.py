"""Graph algorithms over a Community: KOCs, circles, referrals, influence, volunteers, levels, targeting."""
