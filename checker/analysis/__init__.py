"""From timings to a verdict, pure: figures of bursts, the estimate of what the server and app allowed, the
verdict against the expectation, the diagnosis in plain words, and the comparison with a baseline."""
