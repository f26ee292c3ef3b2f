"""The Train tab: runs in a worker or on N processes, their words and curves, the learning-rate
finder, and the model's files (Save, Open, Export as ONNX)."""
