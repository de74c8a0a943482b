import { registry } from "@web/core/registry";

/**
 * The Apps page, as a new administrator finds the suite: under the page's
 * default filter (Apps), searching for it, its card is there. Installs
 * nothing (the suite is installed already in the test database).
 */
registry.category("web_tour.tours").add("my_integrations_apps", {
    url: "/odoo/action-base.open_module_tree",
    steps: () => [
        {
            content: "The Apps page opens with its default filter",
            trigger: ".o_searchview_facet .o_facet_value:contains(Apps)",
        },
        {
            content: "Search for the suite",
            trigger: ".o_searchview_input",
            run: "edit Integrations",
        },
        {
            trigger: ".o_searchview_autocomplete .o-dropdown-item:first",
            run: "click",
        },
        {
            content: "The suite's app card, with its icon, is there",
            trigger: ".o_kanban_record:has(main[title=Integrations]) img[src*='my_integrations']",
        },
        {
            content: "Still under the Apps filter",
            trigger: ".o_searchview_facet .o_facet_value:contains(Apps)",
        },
    ],
});

/**
 * From the home screen to what an administrator checks first: the API's
 * requests in a graph, then the API keys that expire within 14 days.
 */
registry.category("web_tour.tours").add("my_integrations_request_graph", {
    url: "/odoo",
    steps: () => [
        {
            content: "Open the Integrations app from the home screen",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            trigger: ".o_app[data-menu-xmlid='my_integrations.integration_menu_root']",
            run: "click",
        },
        {
            content: "Open the REST API menu",
            trigger: "button[data-menu-xmlid='my_integrations.integration_api_menu']",
            run: "click",
        },
        {
            trigger: "[data-menu-xmlid='my_integrations.integration_api_request_stats_menu']",
            run: "click",
        },
        {
            content: "The request graph is shown, with the test's requests",
            trigger: ".o_graph_view .o_graph_renderer canvas",
        },
        {
            trigger: ".o_breadcrumb:contains(API Request Analysis)",
        },
    ],
});

registry.category("web_tour.tours").add("my_integrations_expiring_keys", {
    url: "/odoo",
    steps: () => [
        {
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            trigger: ".o_app[data-menu-xmlid='my_integrations.integration_menu_root']",
            run: "click",
        },
        {
            content: "Open the Credentials menu",
            trigger: "button[data-menu-xmlid='my_integrations.integration_credential_menu']",
            run: "click",
        },
        {
            trigger: "[data-menu-xmlid='my_integrations.integration_apikey_menu']",
            run: "click",
        },
        {
            content: "Filter the keys expiring within 14 days",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            trigger: ".o_filter_menu .o-dropdown-item:contains(Expiring in 14 days)",
            run: "click",
        },
        {
            trigger: ".o_searchview_facet .o_facet_value:contains(Expiring in 14 days)",
        },
        {
            content: "The expiring key is listed with its badge, the one that expires later is not",
            trigger:
                ".o_list_view .o_data_row:has(td:contains(tour key soon)) .badge:contains(Expiring soon)",
        },
        {
            trigger: ".o_list_view:not(:has(td:contains(tour key later)))",
        },
        {
            content: "Close the search panel",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            trigger: "body:not(:has(.o_filter_menu))",
        },
    ],
});

/**
 * A suite with nothing configured yet opens on its first steps, and the
 * first step's button opens the form that does it.
 */
registry.category("web_tour.tours").add("my_integrations_first_steps", {
    url: "/odoo",
    steps: () => [
        {
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            trigger: ".o_app[data-menu-xmlid='my_integrations.integration_menu_root']",
            run: "click",
        },
        {
            content: "The first screen says what to do first",
            trigger: ".o_integration_onboarding h1:contains(Get started with Integrations)",
        },
        {
            trigger: ".o_integration_onboarding button[name=action_mint_key]",
        },
        {
            trigger: ".o_integration_onboarding button[name=action_add_endpoint]",
        },
        {
            content: "Step 1: create an integration user",
            trigger: ".o_integration_onboarding button[name=action_create_integration_user]",
            run: "click",
        },
        {
            trigger: ".modal .o_form_view div[name=login] input",
        },
        {
            trigger: ".modal .modal-footer button:contains(Cancel)",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
    ],
});

/** The dashboard gathers the suite's figures on one screen. */
registry.category("web_tour.tours").add("my_integrations_dashboard", {
    url: "/odoo",
    steps: () => [
        {
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            trigger: ".o_app[data-menu-xmlid='my_integrations.integration_menu_root']",
            run: "click",
        },
        {
            trigger: "button[data-menu-xmlid='my_integrations.integration_overview_menu']",
            run: "click",
        },
        {
            trigger: "[data-menu-xmlid='my_integrations.integration_dashboard_menu']",
            run: "click",
        },
        {
            content: "Each figure of the dashboard is shown",
            trigger: ".o-dashboard-action:nth-child(3) .o-dashboard-action-header:contains(API Top Errors)",
        },
        {
            trigger: ".o-dashboard-action .o-dashboard-action-header:contains(Rate Limit Usage)",
        },
        {
            trigger: ".o-dashboard-action .o_graph_renderer canvas",
        },
        {
            trigger: ".o-dashboard-action .o_list_renderer",
        },
    ],
});
