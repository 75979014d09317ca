"""The Tensor ops, one Function each: elementwise, reductions, shape changes and linear algebra."""
