"""losslab numerical engine: surfaces, optimizers, schedules, theory and runners (numpy only)."""
