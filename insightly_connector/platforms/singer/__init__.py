"""The Singer spec's command lines, as Meltano runs taps and targets."""
