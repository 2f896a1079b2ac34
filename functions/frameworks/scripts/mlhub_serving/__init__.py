"""MLHub's serving code shared by the framework scripts (sklearn, xgboost, pytorch, tensorflow).

Each framework's inference.py imports this package, which sits beside it in the source archive
shipped to SageMaker and beside serve.py (the local worker) in the repository. It reads MLHub's
payloads as functions/inference/backends/sagemaker-backend.ts writes them and writes answers as
that file's readAnswer reads them back, so a deployed model answers like the built-in runtime.
"""
