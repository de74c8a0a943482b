/**
 * From the Apps page to a dead delivery sent again, as an administrator
 * would walk it: the suite's module is listed in Apps, the endpoints open
 * as health cards, the failing endpoint's card leads to its deliveries'
 * graph, and a dead delivery is resent from its form.
 *
 * The Python side (tests/test_webhook_health_tour.py) makes the endpoints
 * and deliveries, and checks afterwards that the delivery was queued again.
 */
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

const FAILING = "Tour failing receiver";

/**
 * A screenshot of the screen as it is now, when the test asks for them
 * (tests/test_webhook_health_tour.py reads this console line), then a
 * pause for it to be taken before the tour goes on.
 */
function screenshot(name) {
    return {
        content: `Screenshot ${name}`,
        trigger: "body",
        async run() {
            console.log(`my_webhooks screenshot: ${name}`);
            await new Promise((resolve) => setTimeout(resolve, 1000));
        },
    };
}
const CARD = `.o_webhook_endpoint_kanban .o_kanban_record:contains(${FAILING})`;

registry.category("web_tour.tours").add("my_webhooks_health_tour", {
    steps: () => [
        // Apps: the default "Apps" filter hides modules that are no
        // application; search all modules for the technical name (shown in
        // debug mode), whichever of the suite's modules is the application
        {
            content: "The Apps page is shown",
            trigger: ".o_modules_kanban .o_kanban_record",
        },
        {
            content: "Remove the default filters",
            trigger: ".o_searchview_input",
            run() {
                for (const button of document.querySelectorAll(".o_searchview_facet .o_facet_remove")) {
                    button.click();
                }
            },
        },
        {
            content: "Search the webhooks module",
            trigger: ".o_searchview:not(:has(.o_searchview_facet)) .o_searchview_input",
            run: "edit my_webhooks",
        },
        {
            content: "Search it as a module name",
            trigger: ".o_searchview_input",
            run: "press Enter",
        },
        {
            // (its state is not checked: while the suite runs the tests of
            // an update, the module is still "to upgrade")
            content: "The webhooks module is listed",
            trigger: ".o_modules_kanban .o_kanban_record code:contains(/^my_webhooks$/)",
        },
        stepUtils.goToUrl("/odoo/action-my_webhooks.webhook_endpoint_action"),
        // the endpoints' health cards
        {
            content: "The failing endpoint's card says since when it fails",
            trigger: `${CARD} .o_webhook_failing_since`,
        },
        {
            content: "Its card counts the dead delivery and shows the last error",
            trigger: `${CARD}:has(.o_webhook_dead:contains(1)) .o_webhook_last_error:contains(HTTP 500)`,
        },
        {
            content: "The healthy endpoint's card is there too",
            trigger: ".o_webhook_endpoint_kanban .o_kanban_record:contains(Tour healthy receiver) .o_webhook_success_rate:contains(100)",
        },
        screenshot("my_webhooks_endpoints_kanban"),
        {
            content: "Open the failing endpoint's deliveries graph",
            trigger: `${CARD} button.o_webhook_delivery_graph`,
            run: "click",
        },
        {
            content: "The graph of its deliveries is drawn",
            trigger: ".o_graph_view .o_graph_renderer canvas",
        },
        screenshot("my_webhooks_deliveries_graph"),
        {
            content: "Switch to the list",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            content: "Open the dead delivery",
            trigger: ".o_list_view .o_data_row:contains(Dead) td.o_data_cell[name=endpoint_id]",
            run: "click",
        },
        {
            content: "Resend it",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_resend]:contains(Resend)",
            run: "click",
        },
        {
            content: "It is pending again",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains(Pending)",
        },
    ],
});
