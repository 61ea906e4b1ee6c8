"""Reading simulations: run reports and exports, experiment comparisons, backtests."""
