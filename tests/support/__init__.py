"""Code the tests share, and the benchmarks borrow: repository paths and the local web."""
