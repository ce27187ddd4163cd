// The shell's entry: an asynchronous boundary before anything shared, as
// Module Federation asks, so the share scope is ready when bootstrap.js runs.
import('./bootstrap.js');
