/* Unit tests for the scan engine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "scan/scan.h"

static void test_empty_report_is_clean(void **state)
{
	struct scan_report *r = scan_report_new();

	assert_int_equal(scan_report_verdict(r), SCAN_CLEAN);
	scan_report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_report_is_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
