"""The stand-in's own tests: stdlib unittest against the stand-in served in-process on a free
port (support.py), driven with boto3 as an AWS SDK would. `make standin-test` runs them."""
