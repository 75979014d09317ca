"""Tools that read the recorded graph and watch the engine run: drawings (viz, render), explain(), and the graph model
they share (graph, rules). They import the engine; the engine never imports them."""
