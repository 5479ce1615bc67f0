"""Where kefu runs: Hugging Face Space model resolution (space_models.py); the scaled shape lives in deploy/."""
