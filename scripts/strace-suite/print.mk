# Read together with strace's tests/Makefile: `make -f Makefile -f print.mk print-VAR`
# prints the value of VAR (the test lists) without building anything.
print-%:
	@echo $($*)
