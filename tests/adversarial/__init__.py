"""Adversarial tests: hostile formulas and hostile data against celprice's limits."""
