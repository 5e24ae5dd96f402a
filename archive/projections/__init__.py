"""Read models, one module each (its table, its apply and its queries), fed inline by `Projector`."""
