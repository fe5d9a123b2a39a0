"""Running a check: boot each mode's server under the app's interpreter, burst it from a worker process, and
end every process started, however the run ends."""
