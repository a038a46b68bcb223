"""Pure measures over signal tables: no I/O (beyond the coefficients shipped beside them), plotting or storage here."""
