"""The batch size x sequence length study: over a grid of input lengths and batch sizes,
several seeds each, train one model per point in a child process of its own and measure
its validation and test scores, time per epoch, samples/s and peak memory; then the best
batch size per length. Knows nothing of Kedro (pipelines/study wires it)."""
