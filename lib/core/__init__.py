"""Infrastructure every chapter shares: where files live, and (later) seeds, devices, atomic files."""
