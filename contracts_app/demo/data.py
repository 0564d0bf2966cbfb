"""The demo city's content: people, priorities, vendors, contracts and their key metrics.

Plain data, no database. Dates are not here: terms are placed relative to the load time by the
loader, so the demo always looks current (contracts ~18 months in, data due last month).
"""
from decimal import Decimal as D

# (key, email, name, role)
USERS = [
    ("admin", "admin@demo.city", "Sam Lee", "admin"),
    ("ana", "ana@demo.city", "Ana Ruiz", "procurement_officer"),
    ("ben", "ben@demo.city", "Ben Okafor", "contract_manager"),
    ("carla", "carla@demo.city", "Carla Mendes", "contract_manager"),
    ("dev", "dev@demo.city", "Dev Patel", "contract_manager"),
    ("priya", "priya@demo.city", "Priya Shah", "cdo"),
    ("victor", "victor@demo.city", "Victor Hale", "viewer"),
]

# key: (name, outcome, owner key, target year)
PRIORITIES = {
    "vision_zero": (
        "Vision Zero: no traffic deaths by 2030",
        "No one dies in a traffic crash on city streets by 2030 (41 deaths in 2024), and serious "
        "injuries fall by half, starting with the high-injury network.",
        "priya", 2030,
    ),
    "housing": (
        "Affordable housing: 5,000 homes by 2028",
        "5,000 homes affordable to households at or below 60% of area median income are built or "
        "preserved by 2028, and fewer renters spend more than half their income on rent.",
        "ana", 2028,
    ),
    "homelessness": (
        "Reduce unsheltered homelessness 25% by 2027",
        "The point-in-time count of people sleeping outside falls 25% from 1,240 (January 2025) to "
        "930 or fewer by January 2027, and people placed into housing stay housed.",
        "priya", 2027,
    ),
    "workforce": (
        "Workforce: good jobs for 3,000 residents by 2027",
        "3,000 residents from neighborhoods with high unemployment start jobs paying at least "
        "$22 an hour with benefits by 2027, and 70% are still employed a year later.",
        "ben", 2027,
    ),
    "clean_streets": (
        "Clean streets in every neighborhood",
        "Every neighborhood scores 'acceptably clean' on 90% of street inspections by 2026, and "
        "reports of illegal dumping are cleared within 48 hours.",
        "carla", 2026,
    ),
    "digital": (
        "Digital services: 80% of transactions online by 2027",
        "80% of resident transactions with the city (permits, payments, 311 requests) can be "
        "completed online by 2027, with satisfaction of 4 out of 5 or better.",
        "priya", 2027,
    ),
    "healthy_families": (
        "Healthy families: cut infant mortality 20% by 2029",
        "Infant mortality falls 20% citywide by 2029, and the gap between the highest- and "
        "lowest-rate neighborhoods halves.",
        "dev", 2029,
    ),
}

# name: (contact name, contact email). Each vendor gets a made-up employer identification number
# (00- is never issued) and an address in the demo city, as open data publishes them.
VENDORS = {
    "Harbor Light Services": ("Maya Torres", "maya.torres@harborlight.org"),
    "New Dawn Shelter Network": ("Luis Ortega", "lortega@newdawn.org"),
    "Bridgeway Community Partners": ("Grace Kim", "gkim@bridgeway.org"),
    "Tenant Justice Legal Aid": ("Omar Haddad", "ohaddad@tenantjustice.org"),
    "Meridian Traffic Engineering": ("Helen Brooks", "hbrooks@meridian-te.com"),
    "SafeStreets Systems": ("Tom Reilly", "treilly@safestreets.io"),
    "WalkBike Collaborative": ("Nia Johnson", "nia@walkbike.org"),
    "Civic Insight Analytics": ("Raj Mehta", "raj@civicinsight.com"),
    "Granite Civil Constructors": ("Frank Dolan", "fdolan@granitecivil.com"),
    "Keystone Community Lenders": ("Alicia Grant", "agrant@keystonecl.org"),
    "RenewHome Contractors": ("Pete Novak", "pete@renewhome.com"),
    "Homeward Counseling Center": ("Dana White", "dwhite@homeward.org"),
    "Pathways Workforce Institute": ("Marcus Green", "mgreen@pathwaysworks.org"),
    "Second Chance Works": ("Janelle Price", "jprice@secondchanceworks.org"),
    "BuildUp Trades Alliance": ("Carlos Vega", "cvega@builduptrades.org"),
    "CodeBridge Academy": ("Lena Fischer", "lena@codebridge.academy"),
    "BrightPath Energy Services": ("Irene Walsh", "iwalsh@brightpath-energy.com"),
    "Cornerstone Paving": ("Joe Marino", "joe@cornerstonepaving.com"),
    "Clearwater Environmental": ("Beth Moreau", "bmoreau@clearwater-env.com"),
    "CleanSweep Services": ("Andre Lewis", "alewis@cleansweep.com"),
    "GreenLoop Recycling": ("Sofia Rossi", "sofia@greenloop.org"),
    "Urban Green Crew": ("Kwame Asante", "kwame@urbangreencrew.org"),
    "Civic Stack Digital": ("Emily Zhou", "ezhou@civicstack.dev"),
    "Sentinel Cyber": ("Victor Osei", "vosei@sentinelcyber.com"),
    "CallWorks Staffing": ("Rita Gomez", "rgomez@callworks.com"),
    "Family First Health": ("Hannah Cole", "hcole@familyfirsthealth.org"),
    "Neighborhood Health Alliance": ("Samuel Okoro", "sokoro@nhalliance.org"),
}


def metric(name, unit, direction, baseline, target, cadence="monthly", due_days=10, indicator="lagging",
           payment_linked=False, definition="", source="", step="1", low=None, high=None, tolerance=None,
           explicit=None, at_risk=None, reported_by="contract_manager", target_notes=""):
    """A metric template. ``step`` is the precision readings are rounded to; ``explicit`` maps a
    calendar month to a per-period target for periods starting in that month."""
    return dict(
        name=name, unit=unit, direction=direction,
        baseline_value=None if baseline is None else D(str(baseline)),
        target_value=None if target is None else D(str(target)),
        range_low=None if low is None else D(str(low)),
        range_high=None if high is None else D(str(high)),
        tolerance_pct=D(str(tolerance)) if tolerance is not None else D(5),
        at_risk_pct=D(str(at_risk)) if at_risk is not None else D(90),
        cadence=cadence, due_days=due_days, indicator_type=indicator, payment_linked=payment_linked,
        definition=definition or f"{name}, as reported by the vendor for the period.",
        data_source=source or "Vendor monthly report",
        step=D(step), explicit=explicit or {}, reported_by=reported_by, target_notes=target_notes,
    )


def milestone(title, month, payment_linked=False, description="", kind="delivery"):
    """A milestone due ``month`` months after the contract start (negative: before the end);
    ``kind`` is its OCDS milestone type."""
    return dict(title=title, month=month, payment_linked=payment_linked, description=description, kind=kind)


# The city's dimensions (contracts_app.dimensions): name -> (description, groups in order).
DIMENSIONS = {
    "Council district": ("The nine council districts of the 2022 ward map.", [f"District {n}" for n in range(1, 10)]),
}


# Profiles: good (on track), at_risk, off_track (one metric lagging badly), missing (recent
# data not entered: overdue), plus the statuses completed / draft / terminated.
# start_ago: months between the contract start and the first of the current month.
CONTRACTS = [
    # --- Human Services -------------------------------------------------------------------
    dict(
        reference="HS-2025-014", title="Street outreach", department="Human Services",
        vendor="Harbor Light Services", kind="contract", value="1200000", payment="performance_based",
        status="active", fixed_term=("2025-07-01", "2027-06-30"), manager="ben",
        priorities=["homelessness"], profile="at_risk", lagging=2,
        # Ben's August 2025 readings from the scenario (used when the scenario term is current).
        fixed_readings={(0, "2025-08-01"): "21", (2, "2025-08-01"): "70"},
        # Placements are reported by council district (a count: the districts add up to the
        # total); District 7 has lagged for the last three months while the total is on track,
        # so the sweep opens a gap flag naming it (issue 15).
        by_group={0: dict(dimension="Council district", lagging="District 7", lag_periods=3, share="0.5")},
        payment_terms="10% of each quarterly payment is withheld and released when placements meet target.",
        # Computed payment statements (contracts_app/payments): $150,000 a quarter (the $1.2M over
        # eight quarters); the rules of SCENARIOS.md's worked example A on the one payment-linked
        # metric: 10% withheld, released when the quarter's placements (the sum of its three
        # months) meet the quarter's target (the sum of the months' targets); the first quarter
        # exempt; half the withholding released when attainment rose 10 points or more on the
        # quarter before though still short; a missing month releases nothing.
        payments=dict(billing="quarterly", amount="150000", reason="Payment terms as awarded.", rules=[
            dict(kind="withhold", percent="10", metrics=[(0, None, "sum")]),
            dict(kind="grace", grace_periods=1),
            dict(kind="improvement", release_pct="50", min_points="10"),
        ]),
        problem="People living outside are not connected to shelter or housing.",
        outcomes="More people move from the street into shelter and housing, and stay there.",
        metrics=[
            # The two monthly metrics are reported by Harbor Light and verified by Ben (the
            # scenario "The vendor reports, the manager verifies": Ben invites Dana Cole).
            metric("Placements into shelter or housing", "count", "increase", 18, 30, payment_linked=True,
                   definition="People contacted by outreach who move into shelter or housing in the month.",
                   source="HMIS placement report", reported_by="vendor",
                   target_notes="The 2024 monthly average (18) plus two more outreach teams at six placements a "
                                "month each, reached by the second year."),
            metric("Share of placements still housed after 90 days", "percent", "increase", 55, 75,
                   cadence="quarterly", step="0.1",
                   definition="Of the people placed in the quarter before last, the share still housed 90 days later.",
                   source="HMIS follow-up report",
                   target_notes="Set at the retention of the county's best-performing rapid rehousing programme."),
            metric("Median days from first contact to placement", "days", "decrease", 64, 40, indicator="leading",
                   definition="Median days between first outreach contact and placement, for people placed in the month.",
                   source="HMIS placement report", reported_by="vendor"),
        ],
        milestones=[milestone("Outreach teams fully staffed (6 FTE)", 2),
                    milestone("Mid-term evaluation with HMIS data", 12, payment_linked=True, kind="assessment"),
                    milestone("Final outcomes report", -1, kind="reporting")],
    ),
    dict(
        reference="HS-2024-031", title="Rapid rehousing for families", department="Human Services",
        vendor="Harbor Light Services", kind="contract", value="1900000", payment="pay_for_success",
        status="active", start_ago=18, term=36, manager="ben", priorities=["homelessness", "housing"],
        profile="good",
        payment_terms="Base payment covers 70% of cost; up to $600,000 in success payments per family "
                      "still housed at 12 months, verified by the independent evaluator.",
        problem="Families in shelter wait months for housing and one in three returns to shelter within a year.",
        outcomes="Families move into their own homes within 60 days and stay housed.",
        metrics=[
            metric("Families moved into permanent housing", "households", "increase", 22, 35, payment_linked=True,
                   source="HMIS move-in report"),
            metric("Families still housed after 12 months", "percent", "increase", 68, 85, cadence="quarterly",
                   step="0.1", payment_linked=True, source="Independent evaluator"),
            metric("Average days from referral to move-in", "days", "decrease", 96, 60, indicator="leading"),
            metric("Households returning to shelter within 6 months", "percent", "decrease", 18, 8,
                   cadence="quarterly", step="0.1"),
        ],
        milestones=[milestone("Landlord partnership network of 40 landlords", 4, payment_linked=True),
                    milestone("Independent evaluation design approved", 6, kind="approval")],
    ),
    dict(
        reference="HS-2024-022", title="Winter shelter beds operations", department="Human Services",
        vendor="New Dawn Shelter Network", kind="contract", value="950000", payment="cost_reimbursement",
        status="active", start_ago=14, term=24, manager="carla", priorities=["homelessness"], profile="good",
        payment_terms="Monthly reimbursement of actual costs up to the budget; reimbursement of the last "
                      "quarter depends on occupancy staying within the agreed range.",
        problem="On the coldest nights there are not enough low-barrier beds and people sleep outside.",
        outcomes="Everyone who wants a bed on a cold night has one, and guests are linked to case management.",
        metrics=[
            metric("Bed occupancy rate", "percent", "range", 90, None, low=85, high=97, step="0.1",
                   source="Shelter bed register"),
            metric("Guests connected to case management", "people", "increase", 40, 70),
            metric("Serious incidents per 1,000 bed-nights", "rate", "decrease", "2.4", "1.2", step="0.01"),
        ],
        milestones=[milestone("Second site opened for the winter season", 5)],
    ),
    dict(
        reference="HS-2025-007", title="Coordinated entry navigation", department="Human Services",
        vendor="Bridgeway Community Partners", kind="grant", value="480000", payment="grant",
        status="active", start_ago=11, term=24, manager="ben", priorities=["homelessness"], profile="missing",
        payment_terms="Grant paid quarterly in advance; the next tranche is released after the quarterly "
                      "data report is received and reviewed.",
        problem="People seeking help tell their story five times and wait weeks to be assessed.",
        outcomes="People are assessed once, within a week, and matched to the right housing resource.",
        metrics=[
            metric("Assessments completed within 7 days of first contact", "percent", "increase", 48, 80, step="0.1",
                   indicator="leading", source="Coordinated entry system"),
            metric("People matched to a housing resource", "people", "increase", 55, 80),
            metric("Average days on the by-name list before match", "days", "decrease", 120, 75),
        ],
        milestones=[milestone("By-name list reconciled with HMIS", 3)],
    ),
    dict(
        reference="HS-2024-040", title="Youth drop-in center", department="Human Services",
        vendor="Bridgeway Community Partners", kind="grant", value="360000", payment="grant",
        status="active", start_ago=16, term=24, manager="carla", priorities=["homelessness", "workforce"],
        profile="good",
        payment_terms="Grant paid in four installments; the third and fourth depend on the progress report.",
        problem="Young people aged 16-24 without stable housing have nowhere safe to go during the day.",
        outcomes="Young people are safe, in school or work, and on a path to stable housing.",
        metrics=[
            metric("Unique young people served", "people", "increase", 90, 140),
            metric("Young people enrolled in school or working", "percent", "increase", 35, 55, cadence="quarterly",
                   step="0.1"),
            metric("Young people exiting to stable housing", "people", "increase", 6, 12, cadence="quarterly"),
        ],
        milestones=[milestone("Extended evening hours launched", 3)],
    ),
    dict(
        reference="HS-2025-019", title="Eviction prevention legal aid", department="Human Services",
        vendor="Tenant Justice Legal Aid", kind="contract", value="780000", payment="performance_based",
        status="active", start_ago=10, term=24, manager="dev", priorities=["housing", "homelessness"],
        profile="good", is_public=False,
        payment_terms="Fixed monthly fee plus a $250 bonus per case in which the tenancy is preserved; "
                      "5% penalty if fewer than 90% of clients are reached before their first hearing.",
        problem="Most tenants facing eviction go to court without a lawyer and lose their home.",
        outcomes="Tenants have counsel before the first hearing and keep their homes.",
        metrics=[
            metric("Tenants represented before first hearing", "percent", "increase", 62, 90, step="0.1",
                   payment_linked=True, indicator="leading", source="Court docket match"),
            metric("Cases with tenancy preserved", "percent", "increase", 51, 70, step="0.1", payment_linked=True),
            metric("Households assisted", "households", "increase", 80, 110),
        ],
        milestones=[milestone("Court-based intake desk open", 2)],
    ),
    # --- Transportation -------------------------------------------------------------------
    dict(
        reference="TR-2024-011", title="High-injury corridor redesign", department="Transportation",
        vendor="Meridian Traffic Engineering", kind="procurement", value="2600000", payment="milestone",
        status="active", start_ago=18, term=36, manager="dev", priorities=["vision_zero"], profile="off_track",
        lagging=1,
        payment_terms="Paid on acceptance of each corridor's design package (15%), construction documents "
                      "(35%) and completion with a 12-month speed study (50%).",
        problem="Half of traffic deaths happen on 6% of streets, which are designed for speed.",
        outcomes="Speeds and severe crashes fall on the ten high-injury corridors.",
        metrics=[
            metric("Corridors with redesign completed", "corridors", "increase", 0, 10, cadence="quarterly",
                   payment_linked=True, indicator="leading", source="DOT project tracker"),
            metric("85th percentile speed on redesigned corridors", "mph", "decrease", 38, 30, step="0.1",
                   source="Speed sensors"),
            metric("Severe-injury crashes on redesigned corridors", "crashes", "decrease", 14, 7,
                   cadence="quarterly", source="Police crash reports"),
        ],
        milestones=[milestone("Design packages for corridors 1-4 accepted", 6, payment_linked=True),
                    milestone("Construction documents for corridors 5-8", 14, payment_linked=True),
                    milestone("Corridors 9-10 complete", 30, payment_linked=True)],
        missed_milestone=True,
    ),
    dict(
        reference="TR-2025-003", title="Speed camera program operations", department="Transportation",
        vendor="SafeStreets Systems", kind="contract", value="1400000", payment="performance_based",
        status="active", start_ago=15, term=36, manager="dev", priorities=["vision_zero"], profile="good",
        payment_terms="Flat fee per camera; 10% of the monthly fee is withheld for every point of uptime below 97%.",
        problem="Speeding near schools and parks is common and enforcement is inconsistent.",
        outcomes="Fewer drivers speed in school zones, and cameras work every day.",
        metrics=[
            metric("Camera uptime", "percent", "maintain", 97, 98, step="0.1", tolerance=1.5, payment_linked=True,
                   source="Vendor system log"),
            metric("Vehicles over the limit by 11+ mph at camera sites", "percent", "decrease", "6.5", "3.0",
                   step="0.1", source="Camera data"),
            metric("Notices reviewed within 14 days", "percent", "increase", 80, 95, step="0.1", indicator="leading"),
        ],
        milestones=[milestone("40 school-zone cameras live", 4, payment_linked=True)],
    ),
    dict(
        reference="TR-2025-016", title="Safe Routes to School education", department="Transportation",
        vendor="WalkBike Collaborative", kind="grant", value="260000", payment="grant",
        status="active", start_ago=9, term=24, manager="ben", priorities=["vision_zero"], profile="good",
        payment_terms="Grant paid each semester after the participation report.",
        problem="Few children walk or bike to school and parents worry about traffic.",
        outcomes="More children walk and bike to school safely.",
        metrics=[
            metric("Students trained in pedestrian and bike safety", "students", "increase", 400, 1200,
                   cadence="quarterly", indicator="leading"),
            metric("Students walking or biking to participating schools", "percent", "increase", 14, 22,
                   cadence="quarterly", step="0.1", source="Parent tally survey"),
            metric("Schools with a walking school bus", "schools", "increase", 3, 12, cadence="quarterly"),
        ],
        milestones=[milestone("Curriculum adopted by the school district", 2)],
    ),
    dict(
        reference="TR-2023-044", title="Crash data analytics platform", department="Transportation",
        vendor="Civic Insight Analytics", kind="procurement", value="390000", payment="fixed_price",
        status="completed", start_ago=22, term=18, manager="dev", priorities=["vision_zero", "digital"],
        profile="good",
        payment_terms="Fixed price: 40% on launch, 60% on acceptance of the first quarterly crash report.",
        problem="Crash data sat in three systems and took months to analyze.",
        outcomes="Engineers see crashes within a week and target fixes to the worst locations.",
        metrics=[
            metric("Days from crash to record in the platform", "days", "decrease", 45, 7, indicator="leading"),
            metric("Crash records geocoded to an intersection", "percent", "increase", 72, 95, step="0.1"),
            metric("Platform availability", "percent", "maintain", 99, "99.5", step="0.1", tolerance=1),
        ],
        milestones=[milestone("Platform launched", 4, payment_linked=True),
                    milestone("First quarterly crash report accepted", 7, payment_linked=True, kind="reporting")],
    ),
    dict(
        reference="TR-2025-021", title="Protected bike lane construction", department="Transportation",
        vendor="Granite Civil Constructors", kind="contract", value="1900000", payment="milestone",
        status="active", start_ago=8, term=24, manager="dev", priorities=["vision_zero"], profile="at_risk",
        lagging=0,
        payment_terms="Paid per completed mile of protected lane accepted by the inspector; 2% retainage "
                      "until the 12-month defects inspection.",
        problem="Cyclists share fast streets with traffic and the network has gaps.",
        outcomes="A connected network of protected lanes that people of all ages use.",
        metrics=[
            metric("Miles of protected bike lane completed", "miles", "increase", 0, 12, step="0.1",
                   payment_linked=True, indicator="leading", source="Inspector acceptance"),
            metric("Daily bike counts on new lanes", "riders per day", "increase", 310, 600, source="Automated counters"),
            metric("Punch-list items closed within 30 days", "percent", "increase", 70, 95, step="0.1"),
        ],
        milestones=[milestone("Phase 1: downtown loop accepted", 5, payment_linked=True),
                    milestone("Phase 2: east-west connector accepted", 14, payment_linked=True)],
    ),
    # --- Housing --------------------------------------------------------------------------
    dict(
        reference="HO-2024-009", title="Affordable housing preservation loans", department="Housing",
        vendor="Keystone Community Lenders", kind="contract", value="1100000", payment="performance_based",
        status="active", start_ago=18, term=36, manager="carla", priorities=["housing"], profile="good",
        payment_terms="Administration fee plus $1,500 per affordable unit preserved with a 30-year covenant.",
        problem="Older affordable buildings are sold and converted to market rate.",
        outcomes="Affordable units are preserved with long-term covenants.",
        metrics=[
            metric("Affordable units preserved", "units", "increase", 25, 60, payment_linked=True,
                   source="Loan closing records"),
            metric("Loans closed within 90 days of application", "percent", "increase", 55, 80, step="0.1",
                   indicator="leading"),
            metric("Portfolio loans in good standing", "percent", "maintain", 97, 97, step="0.1", tolerance=2),
            metric("Units affordable at or below 60% AMI", "percent", "increase", 60, 75, cadence="quarterly",
                   step="0.1"),
        ],
        milestones=[milestone("Loan pipeline of 400 units identified", 3)],
    ),
    dict(
        reference="HO-2024-018", title="Lead-safe home repairs", department="Housing",
        vendor="RenewHome Contractors", kind="contract", value="1200000", payment="milestone",
        status="active", start_ago=17, term=30, manager="dev", priorities=["housing", "healthy_families"],
        profile="missing",
        payment_terms="Paid per home on passing lead clearance testing; no payment for homes that fail clearance.",
        problem="Children in older homes are poisoned by lead paint dust.",
        outcomes="Homes with young children are lead-safe and children's blood lead levels fall.",
        metrics=[
            metric("Homes passing lead clearance", "homes", "increase", 8, 20, payment_linked=True,
                   source="Clearance test results"),
            metric("Homes failing first clearance test", "percent", "decrease", 12, 5, step="0.1"),
            metric("Days from enrollment to completed repair", "days", "decrease", 150, 90, indicator="leading"),
        ],
        milestones=[milestone("Contractor crews certified (EPA RRP)", 1)],
    ),
    dict(
        reference="HO-2025-002", title="Housing counseling for first-time buyers", department="Housing",
        vendor="Homeward Counseling Center", kind="grant", value="310000", payment="grant",
        status="active", start_ago=12, term=24, manager="carla", priorities=["housing"], profile="good",
        payment_terms="Grant paid quarterly; renewal depends on purchase outcomes.",
        problem="Low-income renters who could buy do not know how, and some buy homes they cannot keep.",
        outcomes="More first-time buyers purchase affordable homes and keep them.",
        metrics=[
            metric("Households completing counseling", "households", "increase", 45, 70),
            metric("Counseled households purchasing a home", "households", "increase", 6, 14, cadence="quarterly"),
            metric("Counseled buyers current on mortgage after 12 months", "percent", "maintain", 96, 96, step="0.1",
                   cadence="quarterly", tolerance=3),
        ],
        milestones=[milestone("Spanish-language cohort launched", 4)],
    ),
    dict(
        reference="HO-2025-012", title="Permanent supportive housing services", department="Housing",
        vendor="New Dawn Shelter Network", kind="contract", value="1700000", payment="pay_for_success",
        status="active", start_ago=12, term=48, manager="ben", priorities=["homelessness", "housing"],
        profile="good",
        payment_terms="Pay for success: the city repays investors $4,200 per tenant housed for 12 continuous "
                      "months and $1,100 per jail night avoided, as measured by the evaluator.",
        problem="A small group of people cycle between the street, jail and emergency rooms.",
        outcomes="Frequent users of crisis services are stably housed and use crisis services less.",
        metrics=[
            metric("Tenants housed 12 continuous months", "people", "increase", 0, 120, cadence="quarterly",
                   payment_linked=True, source="Independent evaluator"),
            metric("Jail nights per tenant (12-month rolling)", "nights", "decrease", 38, 12, cadence="quarterly",
                   step="0.1", payment_linked=True, source="County jail data match"),
            metric("Units leased", "units", "increase", 40, 150, indicator="leading"),
            metric("Emergency room visits per tenant", "visits", "decrease", "6.0", "3.0", cadence="quarterly",
                   step="0.1", source="Hospital data match"),
        ],
        milestones=[milestone("Evaluation data-sharing agreements signed", 3),
                    milestone("First 100 units leased", 10, payment_linked=True)],
    ),
    dict(
        reference="HO-2023-030", title="Inclusionary zoning compliance monitoring", department="Housing",
        vendor="Civic Insight Analytics", kind="contract", value="220000", payment="fixed_price",
        status="completed", start_ago=21, term=18, manager="carla", priorities=["housing"], profile="good",
        payment_terms="Fixed price in quarterly installments on receipt of the compliance report.",
        problem="The city did not know whether affordable units in market-rate buildings were rented as required.",
        outcomes="Every inclusionary unit is verified annually and violations are corrected.",
        metrics=[
            metric("Inclusionary units verified", "percent", "increase", 40, 100, step="0.1", cadence="quarterly"),
            metric("Violations corrected within 90 days", "percent", "increase", 50, 85, step="0.1",
                   cadence="quarterly"),
            metric("Units rented above the allowed rent", "units", "decrease", 35, 10, cadence="quarterly"),
        ],
        milestones=[milestone("Unit inventory reconciled", 3)],
    ),
    # --- Workforce Development ------------------------------------------------------------
    dict(
        reference="WD-2024-006", title="Healthcare sector job training", department="Workforce Development",
        vendor="Pathways Workforce Institute", kind="contract", value="1500000", payment="pay_for_success",
        status="active", start_ago=18, term=36, manager="ben", priorities=["workforce"], profile="good",
        payment_terms="Outcome payments: $3,000 per graduate hired at $22/hour or more, and $2,000 more per "
                      "graduate still employed after 12 months.",
        problem="Hospitals cannot fill entry-level clinical jobs while nearby residents are unemployed.",
        outcomes="Residents train for and keep good healthcare jobs.",
        metrics=[
            metric("Trainees enrolled", "people", "increase", 30, 45, indicator="leading"),
            metric("Graduates hired at $22/hour or more", "people", "increase", 18, 32, payment_linked=True,
                   source="State wage records"),
            metric("Graduates employed 12 months after hire", "percent", "increase", 60, 75, cadence="quarterly",
                   step="0.1", payment_linked=True, source="State wage records"),
            metric("Training completion rate", "percent", "increase", 70, 85, step="0.1"),
        ],
        milestones=[milestone("Employer partnership with 3 hospitals signed", 2)],
    ),
    dict(
        reference="WD-2024-015", title="Job training for returning residents", department="Workforce Development",
        vendor="Second Chance Works", kind="grant", value="650000", payment="grant",
        status="active", ends_in_days=90, term=24, manager="ben", priorities=["workforce"], profile="off_track",
        lagging=0, lag_periods=4,
        payment_terms="Grant paid quarterly; continuation depends on job placement results.",
        problem="People coming home from prison struggle to find work and often return.",
        outcomes="Returning residents find and keep jobs and do not return to prison.",
        metrics=[
            metric("Participants placed in jobs", "people", "increase", 20, 45, cadence="quarterly",
                   source="Grantee case records",
                   target_notes="Each cohort of 60 at the 75% placement rate the state's best reentry programmes reach."),
            metric("Participants employed after 6 months", "percent", "increase", 45, 65, cadence="quarterly",
                   step="0.1", source="State wage records",
                   target_notes="Twenty points above the baseline from state wage records for the prior three cohorts."),
            metric("Participants completing training", "people", "increase", 30, 50, cadence="quarterly",
                   indicator="leading"),
        ],
        milestones=[milestone("Employer advisory board convened", 3)],
    ),
    dict(
        reference="WD-2025-004", title="Summer youth employment program", department="Workforce Development",
        vendor="Pathways Workforce Institute", kind="grant", value="1100000", payment="grant",
        status="active", start_ago=18, term=36, manager="carla", priorities=["workforce"], profile="good",
        payment_terms="Grant reimburses wages and supervision; the administrative portion depends on "
                      "placements meeting the monthly targets.",
        problem="Young people from low-income neighborhoods have little access to first jobs.",
        outcomes="Young people gain paid work experience and return to school or work in the fall.",
        metrics=[
            metric("Young people in paid work placements", "people", "increase", 35, 60,
                   explicit={6: 520, 7: 600, 8: 480}, source="Payroll records",
                   definition="Young people paid for at least 20 hours in the month; summer months have "
                              "their own targets."),
            metric("Worksites recruited", "worksites", "increase", 120, 180, cadence="quarterly", indicator="leading"),
            metric("Participants completing the program", "percent", "increase", 78, 88, cadence="quarterly",
                   step="0.1"),
        ],
        milestones=[milestone("Summer worksite roster confirmed", 4)],
    ),
    dict(
        reference="WD-2024-020", title="Construction trades apprenticeship", department="Workforce Development",
        vendor="BuildUp Trades Alliance", kind="contract", value="900000", payment="performance_based",
        status="active", start_ago=16, term=36, manager="dev", priorities=["workforce", "housing"],
        profile="at_risk", lagging=1,
        payment_terms="Base fee plus $1,200 per apprentice entering a registered apprenticeship; 5% penalty "
                      "per quarter if fewer than 30% of apprentices are women or people of color.",
        problem="City-funded construction jobs rarely go to local residents.",
        outcomes="Local residents enter registered apprenticeships and reach journey level.",
        metrics=[
            metric("Residents entering registered apprenticeships", "people", "increase", 10, 24,
                   payment_linked=True, source="State apprenticeship registry"),
            metric("Apprentices retained after 12 months", "percent", "increase", 60, 80, cadence="quarterly",
                   step="0.1"),
            metric("Pre-apprenticeship class size", "people", "range", 18, None, low=16, high=24,
                   indicator="leading"),
        ],
        milestones=[milestone("Pre-apprenticeship curriculum certified", 3)],
    ),
    dict(
        reference="WD-2025-011", title="Digital skills bootcamp", department="Workforce Development",
        vendor="CodeBridge Academy", kind="contract", value="540000", payment="performance_based",
        status="active", start_ago=7, term=24, manager="carla", priorities=["workforce", "digital"],
        profile="good",
        payment_terms="40% on enrollment, 60% on graduates placed in IT jobs within 6 months.",
        problem="Residents without degrees are locked out of entry-level IT jobs.",
        outcomes="Graduates start IT support jobs paying $22/hour or more.",
        metrics=[
            metric("Graduates placed in IT jobs within 6 months", "percent", "increase", 45, 65, step="0.1",
                   cadence="quarterly", payment_linked=True),
            metric("Enrollment", "people", "increase", 25, 40, indicator="leading"),
            metric("Graduates earning an industry certification", "percent", "increase", 55, 75, step="0.1"),
        ],
        milestones=[milestone("First cohort graduates", 5)],
    ),
    # --- Public Works ---------------------------------------------------------------------
    dict(
        reference="PW-2024-005", title="Pothole repair rapid response", department="Public Works",
        vendor="Granite Civil Constructors", kind="contract", value="1450000", payment="performance_based",
        status="active", start_ago=18, term=36, manager="ben", priorities=["clean_streets", "vision_zero"],
        profile="good",
        payment_terms="Unit price per repair; $50 deduction per pothole not repaired within 72 hours of the report.",
        problem="Potholes take weeks to repair and cause crashes and damage claims.",
        outcomes="Potholes are fixed within 72 hours and repairs last.",
        metrics=[
            metric("Potholes repaired", "repairs", "increase", 900, 1100, payment_linked=True,
                   explicit={2: 1600, 3: 1800, 4: 1500}, source="311 work orders",
                   definition="Potholes repaired in the month; the spring thaw months have their own targets."),
            metric("Repairs within 72 hours of the report", "percent", "increase", 62, 90, step="0.1",
                   payment_linked=True),
            metric("Repeat repairs within 6 months", "percent", "decrease", 11, 5, step="0.1"),
        ],
        milestones=[milestone("Hot-patch trucks in service", 1)],
    ),
    dict(
        reference="PW-2025-008", title="Streetlight LED conversion", department="Public Works",
        vendor="BrightPath Energy Services", kind="procurement", value="2100000", payment="milestone",
        status="active", start_ago=14, term=30, manager="dev", priorities=["vision_zero"], profile="good",
        payment_terms="Paid per district converted and accepted; final 10% after the energy savings are verified.",
        problem="Dark streets are dangerous for pedestrians and old lights waste energy.",
        outcomes="Every street is well lit, outages are fixed fast and energy use halves.",
        metrics=[
            metric("Streetlights converted to LED", "lights", "increase", 0, 28000, step="10", payment_linked=True,
                   indicator="leading"),
            metric("Outages repaired within 5 days", "percent", "increase", 70, 95, step="0.1"),
            metric("Streetlight energy use", "MWh", "decrease", 2400, 1300, cadence="quarterly", step="1",
                   source="Utility bills"),
        ],
        milestones=[milestone("District 1 accepted", 4, payment_linked=True),
                    milestone("Districts 2-4 accepted", 12, payment_linked=True),
                    milestone("Energy savings verified", -2, payment_linked=True, kind="assessment")],
    ),
    dict(
        reference="PW-2024-023", title="Sidewalk repair program", department="Public Works",
        vendor="Cornerstone Paving", kind="contract", value="980000", payment="fixed_price",
        status="active", start_ago=15, term=24, manager="carla", priorities=["vision_zero"], profile="off_track",
        lagging=0,
        payment_terms="Fixed price per block, paid monthly on inspection.",
        problem="Broken sidewalks force people with disabilities into the street.",
        outcomes="Sidewalks on priority routes are accessible and safe.",
        metrics=[
            metric("Sidewalk blocks repaired", "blocks", "increase", 30, 60, payment_linked=True),
            metric("Curb ramps brought to ADA standard", "ramps", "increase", 20, 45),
            metric("Trip-and-fall claims on repaired routes", "claims", "decrease", 9, 3, cadence="quarterly"),
        ],
        milestones=[milestone("Priority route list published", 2)],
    ),
    dict(
        reference="PW-2023-017", title="Storm drain cleaning", department="Public Works",
        vendor="Clearwater Environmental", kind="contract", value="680000", payment="cost_reimbursement",
        status="completed", start_ago=22, term=18, manager="ben", priorities=["clean_streets"], profile="good",
        payment_terms="Reimbursement of crew hours and disposal costs, capped per basin cleaned.",
        problem="Clogged storm drains flood streets and wash litter into the river.",
        outcomes="Drains are cleaned on schedule and street flooding complaints fall.",
        metrics=[
            metric("Catch basins cleaned", "basins", "increase", 1200, 2000, cadence="quarterly", step="10"),
            metric("Street flooding complaints", "complaints", "decrease", 85, 40, cadence="quarterly"),
            metric("Debris removed", "tons", "increase", 150, 220, cadence="quarterly", step="0.1"),
        ],
        milestones=[milestone("Basin inventory mapped in GIS", 2)],
    ),
    # --- Sanitation -----------------------------------------------------------------------
    dict(
        reference="SA-2024-002", title="Street cleaning: commercial corridors", department="Sanitation",
        vendor="CleanSweep Services", kind="contract", value="1600000", payment="performance_based",
        status="active", start_ago=18, term=36, manager="carla", priorities=["clean_streets"], profile="off_track",
        lagging=0,
        payment_terms="Monthly fee; 5% deduction for each month the corridor cleanliness score is below 90%.",
        problem="Business corridors are littered and shoppers stay away.",
        outcomes="Commercial corridors are acceptably clean on nine inspections out of ten.",
        metrics=[
            metric("Corridor blocks rated acceptably clean", "percent", "increase", 78, 92, step="0.1",
                   payment_linked=True, source="Street cleanliness inspections"),
            metric("Litter complaints to 311", "complaints", "decrease", 240, 150, source="311 requests"),
            metric("Scheduled sweeps completed", "percent", "maintain", 98, 98, step="0.1", tolerance=2,
                   indicator="leading"),
        ],
        milestones=[milestone("Route plan for 12 corridors approved", 1, kind="approval")],
    ),
    dict(
        reference="SA-2025-009", title="Illegal dumping rapid cleanup pilot", department="Sanitation",
        vendor="CleanSweep Services", kind="contract", value="720000", payment="performance_based",
        status="active", start_ago=5, term=12, manager="ben", priorities=["clean_streets"], profile="good",
        payment_terms="Per-site fee; full fee when cleared within 48 hours, half fee after that.",
        problem="Dumped mattresses and debris sit on corners for weeks.",
        outcomes="Illegal dumping is cleared within 48 hours of a report.",
        metrics=[
            metric("Dumping reports cleared within 48 hours", "percent", "increase", 40, 90, cadence="weekly",
                   due_days=3, step="0.1", payment_linked=True, source="311 requests"),
            metric("Sites cleared", "sites", "increase", 60, 90, cadence="weekly", due_days=3),
            metric("Repeat dumping sites", "sites", "decrease", 25, 12, indicator="leading"),
        ],
        milestones=[milestone("Pilot mid-point review", 6, kind="assessment")],
    ),
    dict(
        reference="SA-2024-026", title="Residential recycling outreach", department="Sanitation",
        vendor="GreenLoop Recycling", kind="grant", value="300000", payment="grant",
        status="active", start_ago=14, term=24, manager="dev", priorities=["clean_streets"], profile="good",
        payment_terms="Grant paid in two annual installments after the contamination audit.",
        problem="A third of recycling is contaminated and goes to landfill.",
        outcomes="Residents recycle more and contamination falls below 15%.",
        metrics=[
            metric("Recycling contamination rate", "percent", "decrease", 31, 15, step="0.1", cadence="quarterly",
                   source="Material recovery facility audit"),
            metric("Households reached door to door", "households", "increase", 800, 1500, step="10",
                   indicator="leading"),
            metric("Recycling diverted from landfill", "tons", "increase", 1100, 1400, step="1"),
        ],
        milestones=[milestone("Multilingual outreach materials approved", 2)],
    ),
    dict(
        reference="SA-2025-013", title="Smart litter basket pilot", department="Sanitation",
        vendor="Urban Green Crew", kind="procurement", value="240000", payment="fixed_price",
        status="draft", start_in=2, term=12, manager="carla", priorities=["clean_streets", "digital"],
        profile="draft",
        payment_terms="Fixed price for 200 sensor baskets and a year of servicing; 20% held until overflow "
                      "complaints fall.",
        problem="Baskets overflow on weekends while half-empty ones are emptied on schedule.",
        outcomes="Baskets are emptied when full and overflow complaints fall.",
        metrics=[
            metric("Basket overflow complaints", "complaints", "decrease", 90, 40, source="311 requests"),
            metric("Collection trips avoided", "trips", "increase", 0, 300, indicator="leading"),
            metric("Sensor uptime", "percent", "maintain", 98, 98, step="0.1", tolerance=2),
        ],
        milestones=[milestone("Sensor baskets installed", 2)],
    ),
    dict(
        reference="SA-2025-020", title="Graffiti removal", department="Sanitation",
        vendor="Urban Green Crew", kind="contract", value="410000", payment="cost_reimbursement",
        status="active", start_ago=4, term=12, manager="dev", priorities=["clean_streets"], profile="at_risk",
        lagging=0,
        payment_terms="Reimbursement of crew costs; reimbursement is reduced when removal falls below 85% within 5 days.",
        problem="Graffiti stays up for weeks and invites more.",
        outcomes="Graffiti is removed within five days of a report.",
        metrics=[
            metric("Graffiti removed within 5 days", "percent", "increase", 55, 90, cadence="weekly", due_days=3,
                   step="0.1", payment_linked=True, source="311 requests"),
            metric("Square feet removed", "sq ft", "increase", 4000, 6000, cadence="weekly", due_days=3, step="10"),
            metric("Reports per week", "reports", "decrease", 120, 80, cadence="weekly", due_days=3,
                   indicator="leading"),
        ],
        milestones=[milestone("Second crew hired", 2)],
    ),
    # --- Information Technology -----------------------------------------------------------
    dict(
        reference="IT-2024-010", title="311 modernization", department="Information Technology",
        vendor="Civic Stack Digital", kind="procurement", value="1800000", payment="milestone",
        status="active", start_ago=18, term=30, manager="ben", priorities=["digital"], profile="good",
        payment_terms="Paid on acceptance of each release (mobile app, web portal, agency integrations); "
                      "15% held until satisfaction reaches 4.0.",
        problem="Residents call 311 and wait; requests get lost between departments.",
        outcomes="Residents report and track requests online and get them resolved faster.",
        metrics=[
            metric("311 requests submitted online", "percent", "increase", 28, 65, step="0.1",
                   source="311 system"),
            metric("Resident satisfaction", "score (1-5)", "increase", "3.4", "4.2", step="0.1",
                   cadence="quarterly", payment_linked=True, source="Post-closure survey"),
            metric("Median days to close a request", "days", "decrease", 9, 5, step="0.1"),
            metric("Agencies integrated", "agencies", "increase", 2, 14, cadence="quarterly", indicator="leading"),
        ],
        milestones=[milestone("Mobile app release accepted", 6, payment_linked=True),
                    milestone("Agency integrations complete", 15, payment_linked=True)],
    ),
    dict(
        reference="IT-2025-006", title="Online permitting portal", department="Information Technology",
        vendor="Civic Stack Digital", kind="contract", value="1250000", payment="milestone",
        status="active", start_ago=11, term=24, manager="carla", priorities=["digital", "housing"],
        profile="at_risk", lagging=1,
        payment_terms="Paid on go-live of each permit type; a holdback is released when median review time "
                      "falls below 15 days.",
        problem="Building permits need in-person visits and take six weeks.",
        outcomes="Permits are applied for online and reviewed in two weeks.",
        metrics=[
            metric("Permit applications submitted online", "percent", "increase", 10, 80, step="0.1",
                   indicator="leading"),
            metric("Median permit review time", "days", "decrease", 42, 15, payment_linked=True),
            metric("Portal availability", "percent", "maintain", "99.5", "99.5", step="0.01", tolerance="0.5"),
        ],
        milestones=[milestone("Residential permits live", 5, payment_linked=True),
                    milestone("Commercial permits live", 12, payment_linked=True)],
        partial_milestone=True,
    ),
    dict(
        reference="IT-2024-029", title="Open data platform and data warehouse", department="Information Technology",
        vendor="Civic Insight Analytics", kind="contract", value="600000", payment="fixed_price",
        # Ends exactly DECISION_NOTICE_DAYS (120) after the demo's today: the sweep opens its renewal
        # decision task, whose page shows its record and the vendor's two completed contracts.
        status="active", ends_exactly_in_days=120, term=24, manager="dev", priorities=["digital"], profile="good",
        payment_terms="Fixed annual subscription; service credits of 5% for each month availability is below 99.5%.",
        problem="Departments publish data by hand, late and inconsistently.",
        outcomes="Key datasets refresh automatically and residents use them.",
        metrics=[
            metric("Datasets refreshed on schedule", "percent", "increase", 60, 95, step="0.1"),
            metric("Platform availability", "percent", "maintain", "99.5", "99.5", step="0.01", tolerance="0.5",
                   payment_linked=True),
            metric("Monthly dataset downloads", "downloads", "increase", 4000, 9000, step="10", indicator="leading"),
        ],
        milestones=[milestone("Top 50 datasets automated", 6)],
    ),
    dict(
        reference="IT-2025-018", title="Cybersecurity managed services", department="Information Technology",
        vendor="Sentinel Cyber", kind="contract", value="850000", payment="fixed_price",
        status="active", start_ago=10, term=36, manager="ben", priorities=["digital"], profile="good",
        is_public=False,
        payment_terms="Fixed monthly fee; service credits when critical alerts are not triaged within 1 hour.",
        problem="The city's systems are attacked daily and the team cannot watch them around the clock.",
        outcomes="Threats are detected and contained before they disrupt services.",
        metrics=[
            metric("Critical alerts triaged within 1 hour", "percent", "increase", 80, 99, step="0.1",
                   payment_linked=True, source="Security operations log"),
            metric("Staff completing phishing training", "percent", "increase", 45, 90, step="0.1",
                   cadence="quarterly", indicator="leading"),
            metric("Patch compliance on critical systems", "percent", "range", 93, None, low=95, high=100,
                   step="0.1"),
        ],
        milestones=[milestone("24/7 monitoring live", 1)],
    ),
    dict(
        reference="IT-2023-035", title="311 contact center staffing", department="Information Technology",
        vendor="CallWorks Staffing", kind="contract", value="500000", payment="cost_reimbursement",
        status="terminated", start_ago=20, term=24, ended_ago=5, manager="carla", priorities=["digital"],
        profile="off_track", lagging=0, is_public=False,
        payment_terms="Hourly reimbursement for agents; the city may terminate for repeated service-level failures.",
        problem="Callers to 311 waited over ten minutes and hung up.",
        outcomes="Calls answered within a minute. Terminated for repeated service-level failures.",
        metrics=[
            metric("Calls answered within 60 seconds", "percent", "increase", 45, 80, step="0.1",
                   payment_linked=True, source="Phone system"),
            metric("Abandoned calls", "percent", "decrease", 22, 8, step="0.1"),
            metric("Agent turnover", "percent", "decrease", 12, 5, step="0.1", cadence="quarterly",
                   indicator="leading"),
        ],
        milestones=[milestone("Full staffing of 30 agents", 2)],
        missed_milestone=True,
    ),
    # --- Public Health --------------------------------------------------------------------
    dict(
        reference="PH-2024-013", title="Nurse home visiting for new parents", department="Public Health",
        vendor="Family First Health", kind="contract", value="1350000", payment="pay_for_success",
        status="active", start_ago=18, term=48, manager="dev", priorities=["healthy_families"], profile="good",
        payment_terms="Success payments for healthy birth outcomes and completed visits, verified by the "
                      "health department's vital records match.",
        problem="First-time parents in high-risk neighborhoods have little support and infant deaths are high.",
        outcomes="Babies are born healthy and families get the support they need in the first two years.",
        metrics=[
            metric("Families enrolled before 28 weeks of pregnancy", "families", "increase", 20, 40,
                   indicator="leading"),
            metric("Home visits completed as scheduled", "percent", "increase", 70, 85, step="0.1",
                   payment_linked=True),
            metric("Preterm births among enrolled families", "percent", "decrease", 13, 9, step="0.1",
                   cadence="quarterly", payment_linked=True, source="Vital records match"),
            metric("Infants with well-child visits on schedule", "percent", "increase", 75, 90, step="0.1",
                   cadence="quarterly"),
        ],
        milestones=[milestone("Nurse team of 12 hired", 3)],
    ),
    dict(
        reference="PH-2025-001", title="Overdose prevention outreach", department="Public Health",
        vendor="Harbor Light Services", kind="grant", value="700000", payment="grant",
        status="active", start_ago=13, term=24, manager="ben", priorities=["healthy_families", "homelessness"],
        profile="missing", is_public=False,
        payment_terms="Grant paid quarterly after the naloxone distribution and referral report.",
        problem="Overdose deaths rose 40% in two years, mostly among people who use alone.",
        outcomes="Fewer people die of overdose and more enter treatment.",
        metrics=[
            metric("Naloxone kits distributed", "kits", "increase", 600, 1200, step="10", indicator="leading"),
            metric("People referred to treatment", "people", "increase", 35, 60),
            metric("Referred people starting treatment within 7 days", "percent", "increase", 40, 60, step="0.1"),
        ],
        milestones=[milestone("Peer outreach team trained", 2)],
    ),
    dict(
        reference="PH-2024-037", title="Community health worker network", department="Public Health",
        vendor="Neighborhood Health Alliance", kind="grant", value="550000", payment="grant",
        status="active", start_ago=15, term=24, manager="ben", priorities=["healthy_families"], profile="good",
        payment_terms="Grant paid quarterly; the second year depends on the screening and referral results.",
        problem="Residents with chronic illness miss care because of housing, food and transport problems.",
        outcomes="Residents' social needs are met and emergency visits fall.",
        metrics=[
            metric("Residents screened for social needs", "people", "increase", 300, 500, step="1"),
            metric("Referrals closed with needs met", "percent", "increase", 40, 65, step="0.1"),
            metric("Emergency visits among enrolled residents", "visits per 100", "decrease", 48, 35, step="0.1",
                   cadence="quarterly"),
        ],
        milestones=[milestone("20 community health workers certified", 3)],
    ),
    dict(
        reference="PH-2025-024", title="Mobile vaccination clinics", department="Public Health",
        vendor="Neighborhood Health Alliance", kind="contract", value="330000", payment="fixed_price",
        status="draft", start_in=1, term=12, manager="dev", priorities=["healthy_families"], profile="draft",
        payment_terms="Fixed fee per clinic day; 10% withheld until coverage in target zip codes rises.",
        problem="Childhood vaccination rates lag in neighborhoods far from clinics.",
        outcomes="Children in every neighborhood are vaccinated on schedule.",
        metrics=[
            metric("Clinic days held", "days", "increase", 0, 16, indicator="leading"),
            metric("Children vaccinated", "children", "increase", 0, 250),
            metric("Kindergartners up to date in target zip codes", "percent", "increase", 81, 92, step="0.1",
                   cadence="quarterly"),
        ],
        milestones=[milestone("Clinic van delivered", 1)],
    ),
    dict(
        reference="PH-2024-042", title="Healthy homes asthma program", department="Public Health",
        vendor="RenewHome Contractors", kind="contract", value="640000", payment="performance_based",
        status="active", start_ago=12, term=24, manager="ben", priorities=["healthy_families", "housing"],
        profile="good",
        payment_terms="Per-home fee; a $300 bonus per child whose asthma emergency visits fall by half.",
        problem="Children with asthma live in homes with mold and pests and end up in the emergency room.",
        outcomes="Homes are healthy and children's asthma is controlled.",
        metrics=[
            metric("Homes remediated", "homes", "increase", 10, 18),
            metric("Children with asthma emergency visits halved", "percent", "increase", 40, 60, step="0.1",
                   cadence="quarterly", payment_linked=True, source="Medicaid claims match"),
            metric("Days from referral to home assessment", "days", "decrease", 30, 14, indicator="leading"),
        ],
        milestones=[milestone("Referral pathway with 3 clinics", 2)],
    ),
]


# --- Active management: who comes to check-ins, and what gets said ----------------------------

# Contracts whose quarterly check-ins lapsed: the last one was held 4-6 months ago, so the sweep
# flags "no check-in for 90 days" and escalates to the chief data officer.
CHECKIN_LAPSED = ("SA-2024-002", "TR-2024-011", "WD-2024-015", "PW-2024-023", "IT-2024-029")
# Contracts that skipped one earlier quarter's check-in but are meeting again now.
CHECKIN_SKIPPED = ("HO-2024-009", "PH-2024-013")
# The scenario contract's first check-in (SCENARIOS.md, "Thursday: the check-in").
SCENARIO_CHECKIN = dict(
    reference="HS-2025-014", held_on="2025-10-16",
    notes="Intake staff turned over in August: two of the three intake workers left and the vendor "
          "covered intake with outreach staff. That is why the median days from first contact to "
          "placement rose to 70 in August (target about 62), while placements held up (21 against "
          "about 19). September's placements were not yet entered; the vendor's HMIS export was "
          "delayed by the same staffing gap.",
    # {due}: the first action item's due date, 1 November for the scenario's check-in.
    decisions="Vendor adds a second intake worker by {due}.",
    items=[
        ("Hire and train a second intake worker", "vendor", 16, "done", 13),
        ("Enter September's placements in the tracker", "city", 4, "done", 1),
    ],
)

# Each department's program analyst, who joins the contract manager at check-ins.
ANALYSTS = {
    "Human Services": "Jordan Blake",
    "Transportation": "Mei Tanaka",
    "Housing": "Andre Williams",
    "Workforce Development": "Rosa Delgado",
    "Public Works": "Kevin O'Brien",
    "Sanitation": "Fatima Noor",
    "Information Technology": "Chris Lindqvist",
    "Public Health": "Aisha Bello",
}

# vendor: (title of the contact in VENDORS, (second attendee's name, title))
VENDOR_STAFF = {
    "Harbor Light Services": ("Program Director", ("Devon Hayes", "Data and Evaluation Manager")),
    "New Dawn Shelter Network": ("Executive Director", ("Carmen Silva", "Shelter Operations Manager")),
    "Bridgeway Community Partners": ("Director of Programs", ("Tyler Nguyen", "Navigation Team Lead")),
    "Tenant Justice Legal Aid": ("Managing Attorney", ("Priscilla Owens", "Intake Coordinator")),
    "Meridian Traffic Engineering": ("Principal Engineer", ("Paul Schmidt", "Project Manager")),
    "SafeStreets Systems": ("Account Director", ("Jenna Park", "Operations Analyst")),
    "WalkBike Collaborative": ("Executive Director", ("Leo Martin", "Education Program Manager")),
    "Civic Insight Analytics": ("Managing Partner", ("Anya Petrova", "Lead Data Scientist")),
    "Granite Civil Constructors": ("Project Executive", ("Mike Sullivan", "Site Superintendent")),
    "Keystone Community Lenders": ("Chief Lending Officer", ("Denise Carter", "Portfolio Manager")),
    "RenewHome Contractors": ("Owner", ("Luz Ramirez", "Field Supervisor")),
    "Homeward Counseling Center": ("Executive Director", ("Brian Foster", "Counseling Manager")),
    "Pathways Workforce Institute": ("President", ("Keisha Robinson", "Employer Partnerships Manager")),
    "Second Chance Works": ("Executive Director", ("Darnell Hughes", "Job Placement Manager")),
    "BuildUp Trades Alliance": ("Apprenticeship Director", ("Megan Kowalski", "Retention Coordinator")),
    "CodeBridge Academy": ("Managing Director", ("Sam Okonkwo", "Career Services Lead")),
    "BrightPath Energy Services": ("Vice President, Public Sector", ("Gary Chen", "Project Manager")),
    "Cornerstone Paving": ("Owner", ("Tina Russo", "Crew Scheduler")),
    "Clearwater Environmental": ("Principal", ("Oscar Lindgren", "Field Operations Manager")),
    "CleanSweep Services": ("Regional Manager", ("Yolanda Diaz", "Route Supervisor")),
    "GreenLoop Recycling": ("Executive Director", ("Ethan Brooks", "Outreach Coordinator")),
    "Urban Green Crew": ("Founder and Director", ("Imani Scott", "Crew Lead")),
    "Civic Stack Digital": ("Delivery Lead", ("Noah Berg", "Product Manager")),
    "Sentinel Cyber": ("Client Services Director", ("Farah Aziz", "Security Operations Lead")),
    "CallWorks Staffing": ("Account Manager", ("Derek Lyons", "Contact Center Supervisor")),
    "Family First Health": ("Director of Maternal Health", ("Grace Adeyemi", "Nurse Supervisor")),
    "Neighborhood Health Alliance": ("Executive Director", ("Marisol Vega", "Community Health Program Manager")),
}

# What the vendor says about the period, by how the contract's worst metric stood.
CHECKIN_UPDATES = {
    "on_track": (
        "Vendor reports the team is fully staffed and the work plan is on schedule.",
        "Vendor walked through the quarter's results; no concerns raised on either side.",
        "Vendor credits the new scheduling process for steadier results this quarter.",
        "Vendor shared two case examples and the feedback gathered from residents.",
        "Vendor flagged a supplier delay that did not affect results; watching it.",
    ),
    "at_risk": (
        "Vendor explains the dip by seasonal demand and expects it to recover next period.",
        "Vendor has one open position and is covering the work with overtime.",
        "Vendor reports slower referrals from partner agencies this quarter.",
        "Vendor says the data system migration delayed part of the work.",
    ),
    "off_track": (
        "Vendor acknowledges results are well below target and cites staff turnover.",
        "Vendor reports equipment downtime and a backlog that is not yet cleared.",
        "Vendor says the approach is not reaching the people it should and proposes changes.",
        "Vendor's subcontractor left mid-quarter; a replacement is being procured.",
    ),
}

CHECKIN_DECISIONS = {
    "on_track": (
        "No change to the work plan.",
        "Keep the current approach; revisit targets at the next check-in.",
        "Vendor shares its quarterly lessons-learned note with the department.",
    ),
    "at_risk": (
        "Vendor sends a short plan to bring {metric} back to target before the next check-in.",
        "City and vendor review {metric} monthly until it is back on track.",
        "Keep the approach for one more period, then decide whether to change it.",
    ),
    "off_track": (
        "Vendor submits a written recovery plan for {metric} within two weeks.",
        "City and vendor meet monthly on {metric} until two periods are on track.",
        "The department reviews whether the payment terms for {metric} need an amendment.",
    ),
}

# (description, owner: "vendor" or "city"); {metric} is the metric discussed.
ACTION_ITEMS = (
    ("Send the recovery plan for {metric}, with monthly milestones", "vendor"),
    ("Share the data extract behind the {metric} figures", "vendor"),
    ("Confirm the staffing plan for the next quarter", "vendor"),
    ("Send the list of sites and dates behind this quarter's results", "vendor"),
    ("Submit the corrected quarterly report", "vendor"),
    ("Check the vendor's {metric} figures against the city's records", "city"),
    ("Set up a data walk-through with the vendor's reporting lead", "city"),
    ("Confirm with Finance when the withheld payment is released", "city"),
    ("Circulate the notes and the action list to all attendees", "city"),
    ("Draft a clarification of how {metric} is counted", "city"),
)


# The procurement stage (WWC RDC8): how each contract's vendor was chosen, and the bids received.
# (method, details, bids); contracts not listed were competed openly (an RFP) with the bids below.
PROCUREMENT = {
    "HS-2025-014": ("open", "Request for proposals RFP-2025-031 (street outreach)", 4),
    "HS-2024-031": ("selective", "Invitation to the qualified supportive-housing providers list", 3),
    "HS-2025-007": ("limited", "Emergency shelter capacity: three providers asked to quote", 2),
    "TR-2024-011": ("direct", "Sole source: the only certified vendor of the signal system in use", 1),
    "TR-2023-044": ("open", "Invitation for bids IFB-2023-112", 6),
    "HO-2024-018": ("selective", "Pre-qualified community lenders", 2),
    "WD-2024-015": ("open", "Request for proposals RFP-2024-077", 5),
    "PW-2024-023": ("limited", "Three quotes under the informal procurement threshold", 3),
    "SA-2024-002": ("open", "Invitation for bids IFB-2024-019", 2),
    "IT-2025-006": ("direct", "Cooperative purchasing agreement (piggyback on a state contract)", 1),
    "IT-2023-035": ("open", "Request for proposals RFP-2023-058", 3),
    "PH-2025-024": (None, None, None),  # a draft: not procured yet
    "SA-2025-013": (None, None, None),
}
DEFAULT_BIDS = (3, 5, 4, 2, 6, 3, 4)

# Business status as the city certifies it: (small, local, diverse).
VENDOR_STATUS = {
    "Harbor Light Services": (True, True, False),
    "New Dawn Shelter Network": (False, True, True),
    "Bridgeway Community Partners": (True, True, True),
    "Tenant Justice Legal Aid": (True, True, False),
    "WalkBike Collaborative": (True, True, True),
    "Homeward Counseling Center": (True, True, True),
    "Second Chance Works": (True, True, True),
    "BuildUp Trades Alliance": (True, False, True),
    "CodeBridge Academy": (True, False, False),
    "Cornerstone Paving": (True, True, False),
    "Urban Green Crew": (True, True, True),
    "Family First Health": (False, True, True),
    "Neighborhood Health Alliance": (True, True, True),
}

# Monthly payments made, as a share of the contract's even monthly spend; a contract spending
# faster than its term allows shows the ceiling warning.
SPEND_PACE = {"TR-2024-011": "1.30", "WD-2024-020": "1.18"}
DEFAULT_SPEND_PACE = "0.96"

# Amendments (value raised after award): reference -> (months ago, value before, reason).
AMENDMENTS = {
    "HS-2024-031": (5, "1650000", "A sixth housing navigator added after the winter count rose; council "
                                   "resolution 2025-114 appropriated the increase."),
}


# Contract templates drawn from documented practice, saved from the demo contracts that follow it
# (reference, template name, kind of service, what made it work).
TEMPLATES = (
    ("HS-2025-014", "Street outreach paid on placements", "Street outreach",
     "Placements into shelter or housing and 90-day retention are measured monthly and tied to a 10% "
     "withholding released quarter by quarter; teams are staffed to a caseload the vendor agreed to."),
    ("WD-2024-015", "Workforce training with placement and six-month retention", "Workforce training",
     "Payments split between outputs (enrolment, completion) and outcomes (placement, still employed "
     "after six months), as workforce boards that pay for results do."),
    ("SA-2024-002", "Street cleaning judged by a cleanliness rating", "Street cleaning",
     "Blocks are rated on a published cleanliness scale by city inspectors, not by the vendor; "
     "dumping reports must be cleared within 48 hours."),
    ("PH-2024-013", "Nurse home visiting for new parents", "Home visiting",
     "Visits completed as scheduled and families enrolled before the third trimester are the leading "
     "indicators reviewed at each check-in."),
    ("IT-2024-010", "Performance-based IT service", "IT service",
     "Service levels (availability, time to resolve) are the metrics; credits are deducted when they "
     "are missed, capped per quarter."),
)
