# Sourced by the scripts that build (test.sh, fuzz.sh, sanitize.sh,
# tsan.sh, dev-run.sh): new build trees use Ninja where it is installed
# (install-deps.sh installs it). Make starts no object of a target before
# every library it links is built, which left a core idle behind each large
# unity batch: from clean, the gcc tree took 4 min 20 s with make and
# 3 min 48 s with Ninja at -j2 (same day, same code). A tree that
# exists keeps the generator it was made with (CMake reads CMAKE_GENERATOR
# for new trees only).
if [[ -z "${CMAKE_GENERATOR:-}" ]] && command -v ninja > /dev/null; then
  export CMAKE_GENERATOR=Ninja
fi
