"""Pure measures over signal tables: no I/O, plotting or storage here."""
