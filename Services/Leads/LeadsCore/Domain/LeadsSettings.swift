import Foundation

/// The leads service's business settings, from the environment (see the README's table).
struct LeadsSettings: Sendable {
    /// When the head of sales goes through new leads.
    var triage: TriageSchedule
    /// Working time, for the response deadline.
    var calendar: WorkingCalendar
    /// Working hours within which an assigned lead must be contacted.
    var responseHours: Double
    /// How often pending deadlines are checked.
    var deadlineCheckInterval: Duration

    static func fromEnvironment(_ environment: [String: String]) throws -> LeadsSettings {
        let zone = environment["DMS_LEADS_TIME_ZONE"] ?? "Europe/Moscow"
        let triage: TriageSchedule
        let calendar: WorkingCalendar
        do {
            triage = try TriageSchedule.parse(times: environment["DMS_LEADS_TRIAGE_TIMES"] ?? "09:00,15:00", timeZone: zone)
        } catch {
            throw SettingError(description: "DMS_LEADS_TRIAGE_TIMES / DMS_LEADS_TIME_ZONE: \(error)")
        }
        do {
            calendar = try WorkingCalendar.parse(
                days: environment["DMS_LEADS_WORKING_DAYS"] ?? "1-5", hours: environment["DMS_LEADS_WORKING_HOURS"] ?? "09:00-18:00",
                timeZone: zone)
        } catch {
            throw SettingError(description: "DMS_LEADS_WORKING_DAYS / DMS_LEADS_WORKING_HOURS / DMS_LEADS_TIME_ZONE: \(error)")
        }
        let hoursText = environment["DMS_LEADS_RESPONSE_HOURS"] ?? "4"
        guard let hours = Double(hoursText), hours > 0, hours < 24 * 365 else {
            throw SettingError(description: "DMS_LEADS_RESPONSE_HOURS must be a positive number of working hours, not \(hoursText)")
        }
        let intervalText = environment["DMS_LEADS_DEADLINE_CHECK_MS"] ?? "1000"
        guard let interval = Int(intervalText), interval >= 10 else {
            throw SettingError(description: "DMS_LEADS_DEADLINE_CHECK_MS must be at least 10, not \(intervalText)")
        }
        return LeadsSettings(triage: triage, calendar: calendar, responseHours: hours, deadlineCheckInterval: .milliseconds(interval))
    }

    /// The defaults of the README's table.
    static var defaults: LeadsSettings {
        // The default values are constants that parse; a failure here is a programming error.
        try! fromEnvironment([:])
    }

    struct SettingError: Error, CustomStringConvertible {
        var description: String
    }
}
