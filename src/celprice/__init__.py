"""celprice: a fast, safe, conformant CEL engine, and a pricing-formula evaluator."""
__version__ = "0.1.0"
